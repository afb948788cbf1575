"""Updates written straight to the WebSocket reach the client exactly as ``source.stream`` would."""

from __future__ import annotations

import asyncio

import numpy as np

from brownian_panel.runtime.ticker import ticker_for

from ..helpers import LiveClient, run_in_session, wait_until


def _paused_paths(client, app):
    run_in_session(app, lambda: app.model.param.update(paused=True))
    server_x, server_y = app.stream.path()
    columns = client.settled(len(server_x), server_x[-1])
    return columns["x"], columns["y"], server_x, server_y


def test_binary_batches_and_rollover_match_the_server(served_app):
    with LiveClient(served_app.url, {"period": "50", "batch": "40", "window": "100"}) as client:
        app = served_app.app()
        wait_until(lambda: app.stream.updates >= 10)
        client_x, client_y, server_x, server_y = _paused_paths(client, app)
    assert len(server_x) == 100
    np.testing.assert_array_equal(client_x, server_x)
    np.testing.assert_array_equal(client_y, server_y)
    assert np.all(np.diff(server_x) == 1)


def test_updates_queued_while_the_session_is_busy_arrive_in_order(served_app):
    with LiveClient(served_app.url, {"period": "20", "batch": "3"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 9)
        document = app.stream.source.document
        busy = []

        async def hold_the_document_lock():
            busy.append(app.stream.updates)
            await asyncio.sleep(0.5)
            busy.append(app.stream.updates)

        document.add_next_tick_callback(hold_the_document_lock)
        wait_until(lambda: len(busy) == 2)
        assert busy[1] == busy[0], "no update is written while the document lock is held"
        wait_until(lambda: app.stream.updates >= busy[1] + 10)
        client_x, client_y, server_x, server_y = _paused_paths(client, app)
    np.testing.assert_array_equal(client_x, server_x)
    np.testing.assert_array_equal(client_y, server_y)
    assert np.all(np.diff(server_x) == 1), "consecutive steps, nothing lost or doubled"


def test_sessions_with_one_period_share_one_timer(served_app):
    with LiveClient(served_app.url, {"period": "40"}), LiveClient(served_app.url, {"period": "40"}):
        first, second = served_app.apps
        wait_until(lambda: first.stream.updates >= 3 and second.stream.updates >= 3)
        periods = {}
        # Bokeh 3.10 runs locked callbacks on a worker thread: name the server loop.
        run_in_session(first, lambda: periods.update(ticker_for(served_app.loop).periods()))
        assert periods == {40: 2}
