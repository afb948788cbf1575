"""The ways a user starts the app: `panel serve apps/brownian.py`, `brownian-panel`, `-m`."""

from __future__ import annotations

import urllib.request

from ..conftest import PYTHON
from ..helpers import LiveClient, wait_until


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


def test_panel_serve_of_the_app_script_streams(start_process):
    base = start_process(lambda port: [
        PYTHON, "-m", "panel", "serve", "apps/brownian.py", "--port", str(port),
        "--address", "127.0.0.1"])
    with LiveClient(f"{base}/brownian", {"period": "50"}) as client:
        wait_until(lambda: client.points >= 5, timeout=20)


def test_python_dash_m_serves_the_page(start_process):
    base = start_process(lambda port: [PYTHON, "-m", "brownian_panel", "--port", str(port)])
    assert "<title>Brownian motion</title>" in fetch(f"{base}/brownian")


def test_console_script_serves_the_page(start_process):
    base = start_process(lambda port: ["brownian-panel", "--port", str(port)])
    assert "<title>Brownian motion</title>" in fetch(f"{base}/brownian")


def test_shared_mode_serves_one_path_to_every_session(start_process):
    base = start_process(lambda port: [PYTHON, "-m", "brownian_panel", "--port", str(port),
                                       "--shared"])
    assert "<title>Brownian motion (shared)</title>" in fetch(f"{base}/brownian")
    with LiveClient(f"{base}/brownian") as first:
        wait_until(lambda: first.points >= 2, timeout=20)  # the feed draws every 500 ms
        with LiveClient(f"{base}/brownian") as second:
            assert second.points >= 2  # the backlog, at once
            wait_until(lambda: first.points >= 4, timeout=20)

            def same():
                a, b = dict(first.source.data), dict(second.source.data)
                return a["x"][-3:] == b["x"][-3:] and a["y"][-3:] == b["y"][-3:]
            wait_until(same, timeout=10)
