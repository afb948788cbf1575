"""The shared feed in two Chromium pages: the same path, and one page's controls act on both."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..helpers import wait_until

pytestmark = pytest.mark.browser

PATH = """() => {
    const data = Bokeh.documents[0].get_model_by_name('path').data;
    const column = (name) => Array.from(data instanceof Map ? data.get(name) : data[name]);
    return {x: column('x'), y: column('y')};
}"""


def test_two_pages_share_the_path_and_the_controls(served_shared, open_page):
    first = open_page(served_shared.url)
    feed = served_shared.app().feed
    served_shared.on_server_loop(lambda: feed.model.param.update(period=50, batch=5))
    second = open_page(served_shared.url)
    wait_until(lambda: len(second.evaluate(PATH)["x"]) >= 100, timeout=20)

    # Pause in the first page: the second page's button turns to "Resume" and both stop.
    first.get_by_role("button", name="Pause").click()
    expect(second.get_by_role("button", name="Resume")).to_be_visible(timeout=10_000)
    assert feed.model.paused
    steps = feed.model.steps

    def both_at_the_end():
        a, b = first.evaluate(PATH), second.evaluate(PATH)
        return a["x"] and b["x"] and a["x"][-1] == b["x"][-1] == steps and (a, b)
    a, b = wait_until(both_at_the_end, timeout=10)
    shared = min(len(a["x"]), len(b["x"]))
    assert a["x"][-shared:] == b["x"][-shared:] and a["y"][-shared:] == b["y"][-shared:]
    assert b["x"] == list(range(b["x"][0], steps + 1))  # in order, no gap, no duplicate
    first.wait_for_timeout(300)
    assert second.evaluate(PATH)["x"][-1] == steps  # stopped

    # A variance change in the second page shows in the first page's slider.
    handle = second.locator(".noUi-handle").first
    handle.focus()
    for _ in range(5):
        handle.press("ArrowLeft")
    wait_until(lambda: feed.model.variance == pytest.approx(0.5), timeout=10)
    expect(first.locator(".bk-slider-title")).to_have_text(re.compile(r"^Variance:\s*0\.5$"))

    second.get_by_role("button", name="Resume").click()
    expect(first.get_by_role("button", name="Pause")).to_be_visible(timeout=10_000)
    wait_until(lambda: first.evaluate(PATH)["x"][-1] > steps, timeout=10)
    assert first.external_requests == second.external_requests == []


HISTORY = """() => {
    const data = Bokeh.documents[0].get_model_by_name('history').data;
    const column = (name) => Array.from(data instanceof Map ? data.get(name) : data[name]);
    return {x: column('x'), y: column('y')};
}"""


def test_every_page_and_a_late_one_show_the_same_history_after_a_pause(served_shared,
                                                                       open_page):
    first = open_page(served_shared.url)
    feed = served_shared.app().feed
    served_shared.on_server_loop(lambda: feed.model.param.update(period=20, batch=200))
    second = open_page(served_shared.url)
    wait_until(lambda: feed.model.steps >= 50_000, timeout=30)
    late = open_page(served_shared.url)
    pages = (first, second, late)
    for page in pages:
        expect(page.get_by_text("3 viewers")).to_be_visible(timeout=10_000)
    expect(late.get_by_text(re.compile(r"^σ² ≈ [0-9]"))).to_be_visible(timeout=10_000)
    late.get_by_role("button", name="Pause").click()
    wait_until(lambda: feed.model.paused, timeout=10)
    held, counted = served_shared.on_server_loop(
        lambda: (len(feed.record.history), feed.record.statistics.count))
    for page in pages:  # every page ends on the last update (statistics within 2 s)
        expect(page.get_by_text(f"History: {held:,} points since the reset")).to_be_visible(
            timeout=10_000)
        expect(page.get_by_text(re.compile(f"n = {counted:,}"))).to_be_visible(timeout=10_000)
    histories = [page.evaluate(HISTORY) for page in pages]
    assert 200 < len(histories[0]["x"]) < 4_000  # decimated to the plot's pixels
    assert histories[1] == histories[0] and histories[2] == histories[0]
    estimates = {page.get_by_text(re.compile(r"^σ² ≈")).inner_text() for page in pages}
    assert len(estimates) == 1
    assert first.external_requests == second.external_requests == late.external_requests == []
