"""Clients that stop reading or vanish: bounded server memory, sessions released in time."""

from __future__ import annotations

import threading
import time

from bokeh.client import pull_session
from bokeh.events import DocumentReady

from brownian_panel.stream import MAX_UNREAD_BYTES
from brownian_panel.wire import pending_bytes

from ..helpers import LiveClient, run_in_session, wait_until


def _unread(app) -> int:
    result = []
    run_in_session(app, lambda: result.append(pending_bytes(app.stream.source.document)))
    return result[0]


def test_a_client_that_stops_reading_holds_back_its_updates(served_app, log_records):
    # 10,000 points per update every 20 ms: 8 MB/s that this client never reads.
    arguments = {"period": "20", "batch": "10000", "window": "1000000"}
    session = pull_session(url=served_app.url, arguments=arguments)
    try:
        with LiveClient(served_app.url, {"period": "50"}) as bystander:
            stalled = served_app.app(0)
            wait_until(lambda: stalled.stream.held_back > 0, timeout=30)
            assert any("client is not reading" in r.getMessage() for r in log_records.records)
            frozen = stalled.stream.updates
            grown = bystander.points
            time.sleep(1.0)
            assert stalled.stream.updates == frozen, "no update while the client does not read"
            assert _unread(stalled) <= MAX_UNREAD_BYTES + 200_000  # one update of 10,000 points
            assert bystander.points >= grown + 10, "the other session streams on"

            reader = threading.Thread(target=session._connection.loop_until_closed, daemon=True)
            reader.start()  # the client reads again
            wait_until(lambda: stalled.stream.updates >= frozen + 20, timeout=30)
    finally:
        session._connection.io_loop.add_callback(session.close)


def _vanished_session_released(served_app, timeout_s: float, wait_s: float) -> bool:
    served_app.app_params = {"silent_client_timeout": timeout_s}
    client = LiveClient(served_app.url, {"period": "100"})
    app = served_app.app()
    client.send_event(DocumentReady())
    wait_until(lambda: client.points >= 3)
    time.sleep(0.5)  # the server has handled document_ready
    client.vanish()
    try:
        wait_until(lambda: not app.stream.running, timeout=wait_s)
        return True
    except AssertionError:
        return False


def test_a_vanished_browser_is_disconnected_and_its_session_released(served_app):
    # Pings every 0.5 s, closed after 0.5 s without a pong; the fixture's unused-session
    # lifetime is 3 s, checked every 0.5 s: released within about 5 s.
    start = time.monotonic()
    assert _vanished_session_released(served_app, timeout_s=0.5, wait_s=10)
    assert time.monotonic() - start < 12


def test_without_pings_a_vanished_browser_keeps_its_session(served_app):
    assert not _vanished_session_released(served_app, timeout_s=0, wait_s=8)
