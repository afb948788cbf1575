"""Clients that stop reading or vanish: bounded server memory, sessions released in time."""

from __future__ import annotations

import subprocess
import threading
import time

from bokeh.client import pull_session
from bokeh.events import DocumentReady

from brownian_panel.driver.wire import MAX_UNREAD_BYTES, pending_bytes

from ..conftest import PYTHON, REPO_ROOT
from ..helpers import LiveClient, free_port, port_open, run_in_session, wait_until


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
    # Pings every 0.5 s, closing after 0.5 s without a pong, then 5 s for Tornado's closing
    # handshake; the fixture's unused-session lifetime is 3 s, checked every 0.5 s.
    start = time.monotonic()
    assert _vanished_session_released(served_app, timeout_s=0.5, wait_s=10)
    assert time.monotonic() - start < 12


def test_without_pings_a_vanished_browser_keeps_its_session(served_app):
    assert not _vanished_session_released(served_app, timeout_s=0, wait_s=8)


def test_the_command_line_sets_the_silent_client_timeout(tmp_path):
    log_path = tmp_path / "server.log"
    port = free_port()
    with open(log_path, "w") as log_file:
        server = subprocess.Popen(
            [PYTHON, "-m", "brownian_panel", "--port", str(port), "--silent-client-timeout",
             "0.5"], stdout=log_file, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    try:
        wait_until(lambda: server.poll() is None and port_open(port), timeout=60)
        client = LiveClient(f"http://127.0.0.1:{port}/brownian", {"period": "100"})
        client.send_event(DocumentReady())
        wait_until(lambda: client.points >= 3)
        time.sleep(0.5)
        client.vanish()
        # Pinged after 0.5 s, closed 0.5 s later after Tornado's 5 s wait for the closing
        # handshake (with the default of 10 s it would take at least 25 s); Bokeh logs it.
        wait_until(lambda: "WebSocket connection closed" in log_path.read_text(), timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=10)
