"""The app in headless Chromium: what a person sees and does."""

from __future__ import annotations

import importlib.util
import re
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from brownian_panel import compat

from ..conftest import PYTHON
from ..helpers import run_in_session, wait_until
from .conftest import browser_path, browser_points

pytestmark = pytest.mark.browser

SCREENSHOTS_SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "screenshots.py"
FAST = "?period=50"


def pause_button(page):
    return page.locator("button", has_text=re.compile(r"^(Pause|Resume)$"))


def query_string(page) -> str:
    """The page's query string now (Playwright's page.url lags history.replaceState)."""
    return page.evaluate("() => window.location.search")


def _assert_in(part: str, whole: str) -> bool:
    assert part in whole, f"{part!r} not in {whole!r}"
    return True


def hold_still(page, seconds: float = 1.0) -> int:
    """Number of points after ``seconds`` during which the count must not change."""
    before = browser_points(page)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert browser_points(page) == before, "the path grew while it should be still"
        time.sleep(0.05)
    return before


def test_page_has_title_heading_and_controls(served_app, open_page):
    page = open_page(served_app.url)
    assert page.title() == "Brownian motion"
    expect(page.locator("h1")).to_have_text("Brownian motion")
    expect(page.locator(".bk-slider-title")).to_have_text(re.compile(r"^Variance:\s*1$"))
    expect(pause_button(page)).to_have_text("Pause")


def test_line_grows(served_app, open_page):
    page = open_page(served_app.url + FAST)
    wait_until(lambda: browser_points(page) >= 5)
    grown = browser_points(page)
    wait_until(lambda: browser_points(page) >= grown + 5)
    x = np.array(browser_path(page)["x"])
    assert np.all(np.diff(x) == 1)


def test_browser_keeps_only_the_window(served_app, open_page):
    page = open_page(served_app.url + "?period=50&batch=20&window=50")
    app = served_app.app()
    wait_until(lambda: app.stream.updates >= 10)
    assert len(app.stream.path()[0]) == 50
    wait_until(lambda: browser_points(page) == 50)
    x = browser_path(page)["x"]
    assert x == list(range(int(x[0]), int(x[0]) + 50))


def test_browser_and_server_agree_across_small_and_large_batches(served_app, open_page):
    page = open_page(served_app.url + "?period=50&batch=3")
    app = served_app.app()
    wait_until(lambda: browser_points(page) >= 9)
    run_in_session(app, lambda: app.model.param.update(batch=40))  # JSON numbers -> binary
    wait_until(lambda: browser_points(page) >= 200)
    run_in_session(app, lambda: app.model.param.update(paused=True))
    server_x, server_y = app.stream.path()
    wait_until(lambda: browser_points(page) == len(server_x))
    shown = browser_path(page)
    np.testing.assert_array_equal(shown["x"], server_x)
    np.testing.assert_allclose(shown["y"], server_y)


def test_variance_slider_changes_readout_server_model_and_url(served_app, open_page):
    page = open_page(served_app.url + FAST)
    app = served_app.app()
    handle = page.locator(".noUi-handle").first
    handle.focus()
    for _ in range(5):
        handle.press("ArrowLeft")
    wait_until(lambda: app.model.variance == pytest.approx(0.5))
    expect(page.locator(".bk-slider-title")).to_have_text(re.compile(r"^Variance:\s*0\.5$"))
    wait_until(lambda: _assert_in("variance=0.5&", query_string(page) + "&"))


def test_pause_stops_growth_and_resume_continues(served_app, open_page):
    page = open_page(served_app.url + FAST)
    app = served_app.app()
    wait_until(lambda: browser_points(page) >= 3)
    pause_button(page).click()
    wait_until(lambda: app.model.paused)
    expect(pause_button(page)).to_have_text("Resume")
    wait_until(lambda: browser_points(page) == len(app.stream.path()[0]))
    frozen = hold_still(page, 1.0)
    pause_button(page).click()
    wait_until(lambda: not app.model.paused)
    expect(pause_button(page)).to_have_text("Pause")
    wait_until(lambda: browser_points(page) >= frozen + 5)


def test_reset_empties_the_line_and_restarts_at_step_one(served_app, open_page):
    page = open_page(served_app.url + FAST)
    app = served_app.app()
    wait_until(lambda: browser_points(page) >= 10)
    pause_button(page).click()
    wait_until(lambda: app.model.paused)
    page.locator("button", has_text="Reset").click()
    wait_until(lambda: browser_points(page) == 0)
    assert len(app.stream.path()[0]) == 0
    pause_button(page).click()
    wait_until(lambda: browser_points(page) >= 3)
    assert browser_path(page)["x"][:3] == [1, 2, 3]


def test_pong_counter_and_round_trip_time_update(served_app, open_page):
    page = open_page(served_app.url)
    pong = page.locator(".pong")
    wait_until(lambda: int(pong.get_attribute("data-pong") or -1) >= 0, timeout=5)
    first = int(pong.get_attribute("data-pong"))
    wait_until(lambda: int(pong.get_attribute("data-pong")) >= first + 2, timeout=5)
    rtt = float(pong.get_attribute("data-rtt"))
    assert 0 < rtt < 1000
    assert re.fullmatch(r"connected · \d+\.\d ms round trip · pong \d+", pong.inner_text())
    assert served_app.app().ping.pongs >= 3


def test_pausing_one_tab_does_not_pause_another(served_app, open_page):
    first = open_page(served_app.url + FAST + "&seed=1")
    second = open_page(served_app.url + FAST + "&seed=2")
    wait_until(lambda: len(served_app.apps) >= 2)
    apps = {app.model.seed: app for app in served_app.apps}
    assert len(served_app.apps) == 2, [(a.model.seed, a.stream.updates) for a in served_app.apps]
    assert sorted(apps) == [1, 2], f"one app per tab expected, got seeds {sorted(apps)}"
    pause_button(first).click()
    wait_until(lambda: apps[1].model.paused)
    assert not apps[2].model.paused
    expect(pause_button(second)).to_have_text("Pause")
    hold_still(first, 0.5)
    grown = browser_points(second)
    wait_until(lambda: browser_points(second) >= grown + 5)


def test_invalid_query_value_is_shown_and_replaced_in_the_url(served_app, open_page):
    page = open_page(served_app.url + "?variance=abc&batch=2")
    expect(page.get_by_text("Ignored variance='abc' from the URL")).to_be_visible()
    wait_until(lambda: _assert_in("variance=1.0&", query_string(page) + "&"))
    assert "batch=2&" in query_string(page) + "&"
    assert served_app.app().model.batch == 2


def test_readme_screenshots_script_takes_both_pictures(served_app, browser, tmp_path):
    spec = importlib.util.spec_from_file_location("screenshots", SCREENSHOTS_SCRIPT)
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    written = screenshots.take(browser, served_app.url, tmp_path)
    assert [path.name for path in written] == ["screenshot-desktop.png", "screenshot-phone.png"]
    for path, (_, width, _) in zip(written, screenshots.SHOTS, strict=True):
        header = path.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(header[16:20], "big") == width  # the PNG's width: no overflow
        assert path.stat().st_size > 20_000


def test_panel_serve_page_streams_offline(start_process, open_page):
    base = start_process(lambda port: [
        PYTHON, "-m", "panel", "serve", "apps/brownian.py", "--port", str(port),
        "--address", "127.0.0.1"])
    page = open_page(f"{base}/brownian?period=50")
    assert page.title() == "Brownian motion"
    wait_until(lambda: browser_points(page) >= 5)
    assert page.external_requests == []


def test_loaded_page_websocket_has_nagle_off(served_app, open_page):
    open_page(served_app.url)
    app = served_app.app()
    document = app.stream.source.document

    def nodelay_flags() -> list[int]:
        return [websocket.ws_connection.stream.socket.getsockopt(
                    socket.IPPROTO_TCP, socket.TCP_NODELAY)
                for websocket in compat.session_websockets(document)]

    wait_until(lambda: nodelay_flags() and all(nodelay_flags()))
