"""The real app on a real server, driven by bokeh.client sessions."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from brownian_panel.export import EXPORTS
from brownian_panel.runtime.collector import PYTHON_DEFAULTS, THRESHOLDS

from ..helpers import LiveClient, run_in_session, wait_until


def test_session_sees_the_path_grow(served_app):
    with LiveClient(served_app.url, {"period": "50"}) as client:
        wait_until(lambda: client.points >= 5)
        first = client.points
        wait_until(lambda: client.points >= first + 5)
        x = np.asarray(client.source.data["x"])
        assert np.all(np.diff(x) == 1), "x must be consecutive steps"


@pytest.mark.parametrize("served", ["served_app", "served_shared"])
def test_a_served_page_sets_the_collector_thresholds(served, request):
    server = request.getfixturevalue(served)
    assert gc.get_threshold() in PYTHON_DEFAULTS  # (put back after each served test)
    with LiveClient(server.url) as client:
        wait_until(lambda: client.points >= 2)
        assert gc.get_threshold() == THRESHOLDS


@pytest.mark.parametrize("served", ["served_app", "served_shared"])
def test_a_whole_page_registers_no_panel_link(served, request):
    # A Panel link (jscallback, jslink) makes Panel look for links over the whole page at every
    # layout change of every session; the page's browser-side behaviour is Bokeh's CustomJS.
    from panel.links import Callback

    server = request.getfixturevalue(served)
    with LiveClient(server.url) as client:
        client.wait_whole(timeout=30)
        assert len(Callback.registry) == 0, list(Callback.registry.keys())


def test_client_holds_the_points_the_server_streamed(served_app):
    with LiveClient(served_app.url, {"period": "50", "batch": "7"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 21)
        run_in_session(app, lambda: app.model.param.update(paused=True))
        server_x, server_y = app.stream.path()
        columns = client.settled(len(server_x), server_x[-1])
        np.testing.assert_array_equal(columns["x"], server_x)
        np.testing.assert_allclose(columns["y"], server_y)


def test_two_sessions_have_independent_paths_and_state(served_app):
    with LiveClient(served_app.url, {"period": "50"}) as first, \
            LiveClient(served_app.url, {"period": "50", "variance": "0.5"}) as second:
        wait_until(lambda: first.points >= 10 and second.points >= 10)
        first_app, second_app = served_app.apps
        assert first_app.model is not second_app.model
        assert (first_app.model.variance, second_app.model.variance) == (1.0, 0.5)
        run_in_session(first_app, lambda: first_app.model.param.update(paused=True))
        # An update written just before the pause may still be on its way.
        wait_until(lambda: first.points == len(first_app.stream.path()[0]))
        frozen = first.points
        grown = second.points
        wait_until(lambda: second.points >= grown + 5)
        assert first.points == frozen
        first_y, second_y = first.columns()["y"], second.columns()["y"]
        n = min(len(first_y), len(second_y))
        assert not np.allclose(first_y[:n], second_y[:n])


def test_query_string_sets_the_model(served_app):
    arguments = {"variance": "0.5", "period": "100", "batch": "10", "window": "20000",
                 "seed": "7"}
    with LiveClient(served_app.url, arguments):
        model = served_app.app().model
        assert (model.variance, model.period, model.batch, model.window, model.seed) == \
            (0.5, 100, 10, 20000, 7)


def test_invalid_query_values_keep_defaults_and_are_shown(served_app, log_records):
    arguments = {"variance": "abc", "period": "0", "window": str(10**12), "batch": "5"}
    with LiveClient(served_app.url, arguments):
        app = served_app.app()
        assert (app.model.variance, app.model.period, app.model.window) == (1.0, 500, 10_000)
        assert app.model.batch == 5
        assert app.url_errors.visible
        for name in ("variance", "period", "window"):
            assert f"Ignored {name}=" in app.url_errors.object
        rejected = [r.getMessage() for r in log_records.records if "from the URL" in r.getMessage()]
        assert len(rejected) == 3, rejected


def test_url_errors_are_escaped(served_app):
    with LiveClient(served_app.url, {"variance": "<img src=x onerror=alert(1)>"}):
        app = served_app.app()
        assert "<img" not in app.url_errors.object
        assert "&lt;img" in app.url_errors.object


def test_closing_a_session_stops_its_callback_and_releases_it(served_app):
    with LiveClient(served_app.url, {"period": "50"}) as client:
        wait_until(lambda: client.points >= 3)
        app = served_app.apps.pop()
        assert app.stream.running and app.stream.updates > 0
        token = app.export_token
        assert token is not None and EXPORTS.get(token) is app.export
        released = {"app": weakref.ref(app), "stream": weakref.ref(app.stream),
                    "model": weakref.ref(app.model), "source": weakref.ref(app.stream.source)}
        del app
    # A scheduled callback would keep its stream reachable: being collected proves it stopped.
    wait_until(lambda: _collected(released), timeout=15)
    assert EXPORTS.get(token) is None  # the download token went with the session


def _collected(refs: dict[str, weakref.ref]) -> bool:
    gc.collect()
    alive = [name for name, ref in refs.items() if ref() is not None]
    assert alive == [], f"still alive after the session ended: {alive}"
    return True
