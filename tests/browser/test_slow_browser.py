"""A browser that reads slower than the server writes is slow, not gone: it stays connected."""

from __future__ import annotations

import time

from ..helpers import wait_until
from ..proxy import LoopbackProxy
from .conftest import browser_last_x, browser_points, connection_notice


def test_a_browser_far_behind_the_stream_stays_connected(start_process, open_page):
    from ..conftest import PYTHON

    # The server writes 100,000 points/s (1.6 MB/s); the proxy passes 300 kB/s on to the
    # browser, so megabytes wait unread and a pong waits behind them far longer than the 3 s
    # timeout, while the page's own ping (every second) reaches the server at once. (Judged
    # by the pong alone, as Tornado's ping_timeout does, this page is closed.)
    timeout_s, batch = 3, 2000
    proxy = LoopbackProxy()
    try:
        base = start_process(lambda port: [
            PYTHON, "-m", "brownian_panel", "--port", str(port), "--silent-client-timeout",
            str(timeout_s), "--allow-websocket-origin", f"127.0.0.1:{proxy.port}"])
        proxy.target_port = int(base.rsplit(":", 1)[1])
        page = open_page(f"http://127.0.0.1:{proxy.port}/brownian?batch={batch}&period=20"
                         "&window=100000")
        wait_until(lambda: browser_points(page) > 0, timeout=30)
        proxy.rate = 300_000
        time.sleep(4 * timeout_s + 5)  # closed by now if silence were judged by the pong
        behind = browser_last_x(page)
        proxy.rate = None
        wait_until(lambda: browser_last_x(page) >= behind + 300_000, timeout=30)
        assert connection_notice(page) is None
    finally:
        proxy.close()
