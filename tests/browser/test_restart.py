"""The server goes away and comes back: the page says so, reconnects by itself, and says that
it shows a new run (the restarted server has none of the old sessions)."""

from __future__ import annotations

import subprocess

from brownian_panel.views.notice import NEW_RUN, RECONNECTING

from ..conftest import PYTHON, REPO_ROOT, traceback_free
from ..helpers import free_port, port_open, wait_until
from .conftest import browser_path, browser_points, connection_notice


def _start(port: int, log) -> subprocess.Popen:
    process = subprocess.Popen([PYTHON, "-m", "brownian_panel", "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    wait_until(lambda: process.poll() is None and port_open(port), timeout=60)
    return process


def _stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=10)


def test_after_a_restart_the_page_comes_back_with_a_new_run(open_page, tmp_path, request):
    port = free_port()
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with open(logs[0], "wb") as log:
        server = _start(port, log)
    try:
        page = open_page(f"http://127.0.0.1:{port}/brownian?period=50")
        wait_until(lambda: browser_points(page) >= 40)
        assert connection_notice(page) is None
        _stop(server)
        wait_until(lambda: connection_notice(page) is not None, timeout=10)
        assert connection_notice(page) == RECONNECTING
        with page.expect_navigation(timeout=40_000), open(logs[1], "wb") as log:
            server = _start(port, log)
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && "
                               "Bokeh.documents[0].get_model_by_name('path') !== null")
        wait_until(lambda: connection_notice(page) == NEW_RUN, timeout=10)
        wait_until(lambda: browser_points(page) >= 5)
        assert browser_path(page)["x"][0] == 1, "a fresh session starts at step 1"
    finally:
        _stop(server)
    for path in logs:
        traceback_free(request, path.read_text(errors="replace"), path.name)
    # The page asked the new server whether it answers (a HEAD of a static file) and reloaded.
    assert "405 HEAD" not in logs[1].read_text(errors="replace")
