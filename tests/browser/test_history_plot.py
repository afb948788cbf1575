"""The History plot in Chromium: a million points at pixel resolution, wheel zoom re-decimates."""

from __future__ import annotations

import numpy as np
import pytest

from ..helpers import run_in_session, wait_until

pytestmark = pytest.mark.browser

HISTORY_STATE = """() => {
    const doc = Bokeh.documents[0];
    const data = doc.get_model_by_name('history').data;
    const column = (name) => Array.from(data instanceof Map ? data.get(name) : data[name]);
    const plot = doc.get_model_by_name('history-plot');
    return {x: column('x'), y: column('y'), start: plot.x_range.start, end: plot.x_range.end,
            width: plot.inner_width};
}"""


def _state(page) -> dict:
    return page.evaluate(HISTORY_STATE)


def _server_range(raw: np.ndarray, x: list[float]) -> np.ndarray:
    """The raw values of the steps from the first to the last x shown."""
    return raw[int(x[0]) - 1:int(x[-1])]


def test_a_million_points_shown_at_pixel_resolution_and_zoom_re_decimates(served_app, open_page):
    page = open_page(served_app.url + "?period=50&batch=10000&seed=3&window=1000")
    app = served_app.app()
    wait_until(lambda: len(app.history.history) >= 1_000_000, timeout=60)
    run_in_session(app, lambda: app.model.param.update(paused=True))
    raw = app.history.history.values()

    def settled_on_whole():
        # Wait until the page shows the view of every point (it follows each update).
        state = _state(page)
        shown = served_app.on_server_loop(lambda: app.history.source.data["x"].tolist())
        bucket = 2 * len(raw) / state["width"]  # the whole history, first to last bucket
        return (state["x"] == shown and shown[0] <= bucket and shown[-1] >= len(raw) - bucket
                and state)
    state = wait_until(settled_on_whole, timeout=15)
    width = state["width"]
    assert 0 < len(state["x"]) <= 4 * width
    assert (min(state["y"]), max(state["y"])) == (raw.min(), raw.max())

    # Wheel over the plot until about 1% of the x-range is in view.
    history_plot = page.locator(".bk-Figure").nth(1)  # after the live plot
    history_plot.scroll_into_view_if_needed()
    box = history_plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(60):
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(20)
        state = _state(page)
        if state["end"] - state["start"] <= 0.012 * len(raw):
            break
    span = state["end"] - state["start"]
    assert span <= 0.05 * len(raw), f"wheel zoom left {span} of {len(raw)} steps in view"

    def re_decimated():
        state = _state(page)
        inside = state["x"] and state["x"][0] >= state["start"] - 1 and \
            state["x"][-1] <= state["end"] + 1 and len(state["x"]) <= 4 * width
        return inside and state
    state = wait_until(re_decimated, timeout=10)
    x, y = np.asarray(state["x"]), np.asarray(state["y"])
    visible = _server_range(raw, state["x"])
    assert np.all(np.diff(x) > 0)
    np.testing.assert_array_equal(y, raw[x.astype(int) - 1])
    assert (y.min(), y.max()) == (visible.min(), visible.max())
