"""The brownian-panel command line hands over to `panel serve`."""

from __future__ import annotations

from brownian_panel.cli import app_script, panel_serve_args


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
