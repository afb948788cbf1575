"""A browser that reads slower than the server writes is slow, not gone: it stays connected."""

from __future__ import annotations

import time

from brownian_panel.notice import DISCONNECTED

from ..helpers import wait_until
from .conftest import browser_points

LAST_X = ("() => { const x = Bokeh.documents[0].get_model_by_name('path').data.x;"
          " return x[x.length - 1]; }")


def test_a_browser_far_behind_the_stream_stays_connected(served_app, open_page):
    # Pings every 2 s. The server writes 100,000 points/s; a renderer slowed 8 times reads far
    # less, so megabytes wait unread and each pong waits behind them for seconds: a pong
    # timeout would close this page, though its page pings the server every second.
    timeout_s, batch = 2.0, 2000
    served_app.app_params = {"silent_client_timeout": timeout_s}
    page = open_page(f"{served_app.url}?batch={batch}&period=20&window=100000")
    wait_until(lambda: browser_points(page) > 0, timeout=30)
    app = served_app.app()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 8})
    try:
        # 300,000 points (4.8 MB) written and not yet drawn
        wait_until(lambda: app.stream.updates * batch - page.evaluate(LAST_X) >= 300_000,
                   timeout=30)
        time.sleep(4 * timeout_s + 5)  # closed by now if silence were judged by the pong alone
    finally:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    assert app.stream.running, "the session was ended"
    behind = page.evaluate(LAST_X)
    wait_until(lambda: page.evaluate(LAST_X) >= behind + 200_000, timeout=30)
    assert not page.get_by_text(DISCONNECTED).is_visible()
