"""The brownian-panel command line hands over to `panel serve`."""

from __future__ import annotations

import pytest

from brownian_panel.cli import app_parameters, app_script, main, panel_serve_args


def test_defaults_serve_the_app_on_localhost():
    args = panel_serve_args([])
    assert args[:2] == ["serve", str(app_script())]
    assert args[args.index("--port") + 1] == "5006"
    assert args[args.index("--address") + 1] == "127.0.0.1"
    assert "--show" not in args


def test_our_flags_and_panel_flags_pass_through():
    args = panel_serve_args(["--port", "7001", "--show", "--basic-auth", "secret",
                             "--num-procs", "2"])
    assert args[args.index("--port") + 1] == "7001"
    assert "--show" in args
    assert args[-4:] == ["--basic-auth", "secret", "--num-procs", "2"]


def test_app_script_exists_and_builds_the_app():
    script = app_script()
    assert script.is_file()
    assert "BrownianApp" in script.read_text()


def test_app_options_go_after_args_and_back_into_app_parameters():
    args = panel_serve_args(["--silent-client-timeout", "2.5", "--num-procs", "2"])
    assert args[-5:] == ["--num-procs", "2", "--args", "--silent-client-timeout", "2.5"]
    assert app_parameters(args[args.index("--args") + 1:]) == {"silent_client_timeout": 2.5}
    assert app_parameters([]) == {}
    assert "--args" not in panel_serve_args([])


def test_app_parameters_refuse_unknown_or_bad_arguments():
    with pytest.raises(SystemExit):
        app_parameters(["--silent-client-timeout", "soon"])
    with pytest.raises(SystemExit):
        app_parameters(["--no-such-option"])


def test_shared_reaches_the_app_script():
    args = panel_serve_args(["--shared"])
    assert args[-2:] == ["--args", "--shared"]
    assert app_parameters(["--shared"]) == {"shared": True}


def test_the_in_process_shared_feed_takes_its_settings():
    args = panel_serve_args(["--shared", "--period", "100", "--batch", "5", "--window", "500",
                             "--seed", "7"])
    script_args = args[args.index("--args") + 1:]
    assert script_args == ["--shared", "--period", "100", "--batch", "5", "--window", "500",
                           "--seed", "7"]
    assert app_parameters(script_args) == {"shared": True, "period": 100, "batch": 5,
                                           "window": 500, "seed": 7}


@pytest.mark.parametrize("argv, message", [
    (["--period", "100"], "only with --shared"),
    (["--shared", "--redis-url", "redis://127.0.0.1:1/0", "--batch", "5"], "produce"),
    (["--shared", "--period", "0"], "period"),
    (["--shared", "--window", "-3"], "window"),
])
def test_feed_settings_out_of_place_or_bounds_are_refused(argv, message, capsys):
    for parse in (panel_serve_args, app_parameters):
        with pytest.raises(SystemExit):
            parse(argv)
        assert message in capsys.readouterr().err


def test_versions_prints_the_stack_and_each_fast_path(capsys):
    from brownian_panel import compat

    main(["--versions"])
    out = capsys.readouterr().out
    assert out.startswith("python ") and " panel " in out and " bokeh " in out
    for feature in compat.FEATURES:
        assert f"{feature.name} " in out


def test_the_disconnected_session_lifetime_is_bokehs_unused_session_lifetime(capsys):
    args = panel_serve_args([])
    assert args[args.index("--unused-session-lifetime") + 1] == "45000"
    args = panel_serve_args(["--disconnected-session-lifetime", "2.5"])
    assert args[args.index("--unused-session-lifetime") + 1] == "2500"
    for bad in ("0", "-1", "abc", "1e9"):
        with pytest.raises(SystemExit):
            panel_serve_args(["--disconnected-session-lifetime", bad])
        assert "--disconnected-session-lifetime" in capsys.readouterr().err
