"""A browser that reads slower than the server writes is slow, not gone: it stays connected."""

from __future__ import annotations

import asyncio
import threading
import time

from brownian_panel.views.notice import DISCONNECTED

from ..helpers import free_port, wait_until
from .conftest import browser_points

LAST_X = ("() => { const x = Bokeh.documents[0].get_model_by_name('path').data.x;"
          " return x[x.length - 1]; }")


class SlowProxy:
    """A loopback TCP proxy to ``target_port`` that passes the server's bytes on to the client
    at ``rate`` bytes/s (None: at once) and the client's bytes at once: a slow downlink."""

    def __init__(self):
        self.port, self.target_port, self.rate = free_port(), None, None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connect, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _connect(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1",
                                                                     self.target_port)
        await asyncio.gather(self._pump(client_reader, server_writer, slow=False),
                             self._pump(server_reader, client_writer, slow=True),
                             return_exceptions=True)

    async def _pump(self, reader, writer, slow: bool) -> None:
        try:
            while data := await reader.read(16_384 if slow else 65_536):
                writer.write(data)
                await writer.drain()
                if slow and self.rate:
                    await asyncio.sleep(len(data) / self.rate)
        finally:
            writer.close()

    def close(self) -> None:
        async def shut_down() -> None:
            self._server.close()
            tasks = asyncio.all_tasks() - {asyncio.current_task()}
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut_down(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def test_a_browser_far_behind_the_stream_stays_connected(start_process, open_page):
    from ..conftest import PYTHON

    # The server writes 100,000 points/s (1.6 MB/s); the proxy passes 300 kB/s on to the
    # browser, so megabytes wait unread and a pong waits behind them far longer than the 3 s
    # timeout, while the page's own ping (every second) reaches the server at once. (Judged
    # by the pong alone, as Tornado's ping_timeout does, this page is closed.)
    timeout_s, batch = 3, 2000
    proxy = SlowProxy()
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
        behind = page.evaluate(LAST_X)
        proxy.rate = None
        wait_until(lambda: page.evaluate(LAST_X) >= behind + 300_000, timeout=30)
        assert not page.get_by_text(DISCONNECTED).is_visible()
    finally:
        proxy.close()
