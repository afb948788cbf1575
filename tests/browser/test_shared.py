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
