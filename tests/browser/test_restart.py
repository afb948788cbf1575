"""The server goes away and comes back: the page says so, a reload streams a fresh session."""

from __future__ import annotations

import subprocess

from brownian_panel.views.notice import DISCONNECTED

from ..conftest import PYTHON, REPO_ROOT
from ..helpers import free_port, port_open, wait_until
from .conftest import browser_points


def _start(port: int) -> subprocess.Popen:
    process = subprocess.Popen([PYTHON, "-m", "brownian_panel", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
    wait_until(lambda: process.poll() is None and port_open(port), timeout=60)
    return process


def _stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=10)


def test_lost_connection_is_shown_and_a_reload_after_restart_streams(open_page):
    port = free_port()
    server = _start(port)
    try:
        page = open_page(f"http://127.0.0.1:{port}/brownian?period=50")
        wait_until(lambda: browser_points(page) >= 5)
        notice = page.get_by_text(DISCONNECTED)
        assert not notice.is_visible()
        _stop(server)
        notice.wait_for(state="visible", timeout=10_000)
        frozen = browser_points(page)

        server = _start(port)
        page.reload()
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && "
                               "Bokeh.documents[0].get_model_by_name('path') !== null")
        wait_until(lambda: browser_points(page) >= 5)
        x = page.evaluate("() => Array.from(Bokeh.documents[0].get_model_by_name('path')"
                          ".data.x)")
        assert x[0] == 1, "a fresh session starts at step 1"
        assert frozen >= 5
        assert not page.get_by_text(DISCONNECTED).is_visible()
    finally:
        _stop(server)
