"""Two panel processes of the Redis feed behind nginx (deploy/brownian.nginx.conf): sticky
sessions, identical paths on either backend, and a page that survives its backend's death."""

from __future__ import annotations

import os
import signal
import time
import urllib.request

import numpy as np
import pytest
from playwright.sync_api import Error as PlaywrightError

from ..browser.conftest import (
    browser,  # noqa: F401  (the module's Chromium)
    browser_path,
    connection_notice,
)
from ..conftest import PYTHON
from ..helpers import LiveClient, free_port, wait_until
from .test_redis import _check_contiguous_and_equal, _pause, _same_path_to_the_end

PAGE_PATH = """() => {
    if (!window.Bokeh || !Bokeh.documents.length) return null;
    const source = Bokeh.documents[0].get_model_by_name('path');
    if (source === null) return null;
    const data = source.data;
    const column = (name) => Array.from(data instanceof Map ? data.get(name) : data[name]);
    return {x: column('x'), y: column('y')};
}"""


def _backends(shared_backend, nginx, count: int = 2):
    """``count`` backends behind nginx (which the backends must accept as the page's origin)."""
    port = free_port()
    ports = []
    for _ in range(count):
        url = shared_backend("--use-xheaders", "--allow-websocket-origin",
                             f"127.0.0.1:{port}")
        ports.append(int(url.split(":")[2].split("/")[0]))
    return nginx(ports, port=port), ports


def _backend_of(url: str, cookie: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        backend = response.headers["X-Brownian-Backend"]
        return int(backend.rsplit(":", 1)[1]), response.headers["Set-Cookie"].split(";")[0]


def test_sticky_by_cookie_and_the_same_path_on_every_backend(producer, shared_backend, nginx):
    proxy, ports = _backends(shared_backend, nginx)
    first, cookie = _backend_of(proxy.url)
    assert all(_backend_of(proxy.url, cookie)[0] == first for _ in range(5))  # sticky
    landed = {_backend_of(proxy.url)[0] for _ in range(20)}  # new browsers spread
    assert landed == set(ports)
    clients = [LiveClient(proxy.url) for _ in range(4)]  # WebSockets land on either backend
    try:
        wait_until(lambda: all(client.points >= 300 for client in clients), timeout=30)
        _pause(clients[0])
        _check_contiguous_and_equal(_same_path_to_the_end(*clients))
    finally:
        for client in clients:
            client.close()


@pytest.mark.browser
def test_a_killed_backend_s_page_comes_back_on_another(producer, shared_backend, nginx,
                                                        browser):  # noqa: F811
    proxy, ports = _backends(shared_backend, nginx)
    context = browser.new_context()
    try:
        page = context.new_page()
        response = page.goto(proxy.url)
        serving = int(response.headers["x-brownian-backend"].rsplit(":", 1)[1])
        wait_until(lambda: (page.evaluate(PAGE_PATH) or {"x": []})["x"].__len__() >= 200,
                   timeout=30)
        page.evaluate("() => { window.beforeTheKill = true; }")
        os.kill(shared_backend.processes[serving].pid, signal.SIGKILL)
        killed = time.monotonic()

        def shown_again():
            try:  # the page reloads meanwhile: an evaluation may meet the navigation
                state = page.evaluate("() => window.beforeTheKill === undefined") and \
                    page.evaluate(PAGE_PATH)
            except PlaywrightError:
                return False
            return state and len(state["x"]) > 0 and state
        state = wait_until(shown_again, timeout=15)
        back_in = time.monotonic() - killed
        x = np.asarray(state["x"])
        np.testing.assert_array_equal(x, np.arange(x[0], x[0] + len(x)))  # no gap
        assert len(x) >= 200  # the backlog: what was shown before, and on
        print(f"page showed the shared path again {back_in:.2f} s after its backend died")
    finally:
        context.close()


@pytest.mark.parametrize("mode", ["session", "shared"])
def test_a_page_streams_on_through_an_nginx_reload(mode, start_process, nginx,
                                                   browser):  # noqa: F811
    # Old workers keep upgraded connections until they close: with worker_shutdown_timeout
    # (docs/deploy.md) a reload cuts every WebSocket after it, and the pages reconnect through
    # the new workers to the same backend (the cookie) and session.
    port = free_port()
    command = [PYTHON, "-m", "brownian_panel", "--use-xheaders", "--allow-websocket-origin",
               f"127.0.0.1:{port}"]
    settings = {"period": 100, "batch": 10}
    if mode == "shared":
        command += ["--shared", *(f"--{name}={value}" for name, value in settings.items())]
    base = start_process(lambda backend: [*command, "--port", str(backend)])
    proxy = nginx([int(base.rsplit(":", 1)[1])], port=port,
                  main="worker_shutdown_timeout 1s;\n")
    context = browser.new_context()
    try:
        page = context.new_page()
        query = "" if mode == "shared" else "?" + "&".join(f"{k}={v}" for k, v in
                                                           settings.items())
        page.goto(proxy.url + query)
        wait_until(lambda: len((page.evaluate(PAGE_PATH) or {"x": []})["x"]) >= 100,
                   timeout=30)
        page.evaluate("""() => { window.notReloaded = true; window.lost = 0;
            Bokeh.documents[0].on_event('connection_lost', () => { window.lost += 1; }); }""")
        before = browser_path(page)
        os.kill(proxy.process.pid, signal.SIGHUP)  # nginx -s reload
        wait_until(lambda: page.evaluate("() => window.lost") >= 1, timeout=15)
        last_x, last_y = before["x"][-1], before["y"][-1]
        wait_until(lambda: connection_notice(page) is None
                   and browser_path(page)["x"][-1] > last_x + 50, timeout=30)
        assert page.evaluate("() => window.notReloaded === true"), "the same page"
        after = browser_path(page)
        x, y = np.asarray(after["x"]), np.asarray(after["y"])
        np.testing.assert_array_equal(x, np.arange(x[0], x[0] + len(x)))  # no gap, no dup
        assert x[0] <= last_x and y[int(last_x - x[0])] == last_y, "the same run"
    finally:
        context.close()
