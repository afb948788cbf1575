"""The History plot in a real server session: decimated whole history, zoom re-decimation."""

from __future__ import annotations

import time

import numpy as np
from bokeh.events import RangesUpdate, Reset

from ..helpers import LiveClient, run_in_session, wait_until

FAST = {"period": "20", "batch": "10000", "window": "1000"}


def _history_source(client: LiveClient):
    return client.session.document.get_model_by_name("history")


def _client_history(client: LiveClient) -> tuple[np.ndarray, np.ndarray]:
    data = _history_source(client).data
    return np.asarray(data["x"]), np.asarray(data["y"])


def _paused(served_app, client):
    app = served_app.app()
    run_in_session(app, lambda: app.model.param.update(paused=True))
    refreshes = app.history.refreshes
    run_in_session(app, app.history.request_refresh)
    wait_until(lambda: app.history.refreshes > refreshes)
    return app


def _settled(served_app, client, app) -> tuple[np.ndarray, np.ndarray]:
    """The client's history data once it equals the server's (read on the server's loop)."""
    def same():
        x, y = _client_history(client)
        server_x = served_app.on_server_loop(lambda: np.array(app.history.source.data["x"]))
        return np.array_equal(x, server_x) and (x, y)
    return wait_until(same, timeout=10)


def test_the_history_holds_every_bucket_extreme_of_the_whole_path(served_app):
    with LiveClient(served_app.url, FAST) as client:
        app = served_app.app()
        wait_until(lambda: len(app.history.history) >= 300_000, timeout=30)
        app = _paused(served_app, client)
        x, y = _settled(served_app, client, app)
        raw = app.history.history.values()
        assert len(raw) == app.model.steps and client.points == 1000  # the window rolls over
        assert 0 < len(x) <= 2 * app.history.pixels
        assert np.all(np.diff(x) > 0) and x[0] >= 1 and x[-1] <= len(raw)
        np.testing.assert_array_equal(y, raw[x.astype(int) - 1])
        assert (y.min(), y.max()) == (raw.min(), raw.max())


def test_zoom_re_decimates_the_visible_range_and_reset_returns_to_the_whole(served_app):
    with LiveClient(served_app.url, FAST) as client:
        app = served_app.app()
        wait_until(lambda: len(app.history.history) >= 200_000, timeout=30)
        app = _paused(served_app, client)
        raw = app.history.history.values()
        plot = app.history.figure

        def zoom(event):  # as the browser's RangesUpdate / Reset arrive (bokeh.client cannot
            run_in_session(app, lambda: plot._trigger_event(event))  # send their values)

        # 1,000 points in view: fewer than 2 a pixel, so all of them and one beyond each edge.
        x0, x1 = 50_000.5, 51_000.5
        zoom(RangesUpdate(plot, x0=x0, x1=x1, y0=-1, y1=1))
        wait_until(lambda: len(_client_history(client)[0]) and
                   _client_history(client)[0][0] >= x0 - 1, timeout=10)
        x, y = _settled(served_app, client, app)
        np.testing.assert_array_equal(x, np.arange(50_000, 51_002))
        np.testing.assert_array_equal(y, raw[49_999:51_001])

        x0, x1 = 10_000.0, 150_000.0
        zoom(RangesUpdate(plot, x0=x0, x1=x1, y0=-1, y1=1))
        wait_until(lambda: _client_history(client)[0][0] < 20_000, timeout=10)
        x, y = _settled(served_app, client, app)
        visible = raw[int(x0) - 1:int(x1)]
        assert x[0] >= x0 and x[-1] <= x1 and len(x) <= 2 * app.history.pixels
        assert (y.min(), y.max()) == (visible.min(), visible.max())

        zoom(Reset(plot))
        wait_until(lambda: _client_history(client)[0][-1] > 190_000, timeout=10)
        x, y = _settled(served_app, client, app)
        assert (y.min(), y.max()) == (raw.min(), raw.max()) and x[-1] <= len(raw)


def test_a_reset_empties_the_history(served_app):
    with LiveClient(served_app.url, FAST) as client:
        app = served_app.app()
        wait_until(lambda: len(app.history.history) >= 50_000, timeout=30)
        run_in_session(app, lambda: app.model.param.update(paused=True))
        run_in_session(app, app.model.reset)
        wait_until(lambda: len(_client_history(client)[0]) == 0, timeout=10)
        assert len(app.history.history) == 0
        status = client.session.document.get_model_by_name("history-status")
        wait_until(lambda: "History: 0 points" in status.text, timeout=10)


def test_the_whole_history_follows_every_update(served_app):
    # 50 updates a second, one point each: the history's last step is the live path's, taken
    # from the same message (the view's tail rides in the update's write).
    with LiveClient(served_app.url, {"period": "20", "batch": "1", "window": "1000"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 100, timeout=20)
        lags = []
        for _ in range(40):
            live = dict(client.source.data)["x"]
            shown = dict(_history_source(client).data)["x"]
            lags.append(live[-1] - shown[-1])
            time.sleep(0.05)
        assert np.median(lags) == 0 and max(lags) <= 5, lags
        app = _paused(served_app, client)
        x, y = _settled(served_app, client, app)
        raw = app.history.history.values()
        assert x[-1] == len(raw) and x[0] == 1  # first and last steps: the whole history
        np.testing.assert_array_equal(y, raw[x.astype(int) - 1])
