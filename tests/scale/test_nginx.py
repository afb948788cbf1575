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

from ..browser.conftest import browser  # noqa: F401  (the module's Chromium)
from ..helpers import LiveClient, wait_until
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
    from ..helpers import free_port

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
