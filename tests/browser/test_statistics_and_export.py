"""In Chromium: the envelope, the increments histogram and estimate are drawn; Download CSV
saves the session's exact history."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from ..helpers import run_in_session, wait_until

pytestmark = pytest.mark.browser

SHOWN = """() => {
    const doc = Bokeh.documents[0];
    const length = (name, column) => {
        const data = doc.get_model_by_name(name).data;
        return (data instanceof Map ? data.get(column) : data[column]).length;
    };
    const estimate = doc.get_model_by_name('variance-estimate');
    return {envelope: length('envelope', 'sd'), histogram: length('increments', 'density'),
            theory: length('increments-theory', 'density'), estimate: estimate.text,
            bands: ['envelope-1sd', 'envelope-2sd'].map(n => doc.get_model_by_name(n).visible)};
}"""


#: The History plot's legend box in page coordinates, and its number of entries.
LEGEND_BOX = """() => {
    const plot = Bokeh.documents[0].get_model_by_name('history-plot');
    const legend = plot.center.find((model) => model.type === 'Legend');
    const canvas = Bokeh.index.find_one(plot).canvas_view.el.getBoundingClientRect();
    const box = Bokeh.index.find_one(legend).bbox;
    return {x: canvas.x + box.x, y: canvas.y + box.y, width: box.width, height: box.height,
            items: legend.items.length};
}"""


def test_statistics_are_drawn_and_a_hidden_band_is_emptied(served_app, open_page):
    page = open_page(served_app.url + "?period=50&batch=1000&seed=4")
    estimated = re.compile(r"σ² ≈ [\d.]+ \(95% CI [\d.]+–[\d.]+, n = [\d,]+\)")
    wait_until(lambda: estimated.match(page.evaluate(SHOWN)["estimate"]), timeout=20)
    shown = page.evaluate(SHOWN)
    assert shown["histogram"] == 40 and shown["theory"] > 100 and shown["bands"] == [True, True]
    assert shown["envelope"] >= 64
    # The bands the browser draws are ±sd and ±2sd of the envelope's sd.
    drawn = page.evaluate("""() => {
        const doc = Bokeh.documents[0];
        const data = doc.get_model_by_name('envelope').data;
        const sd = Array.from(data instanceof Map ? data.get('sd') : data.sd);
        const renderer = doc.get_model_by_name('envelope-2sd');
        const upper = renderer.glyph.y2.transform.v_compute([sd[sd.length - 1]])[0];
        return {sd: sd[sd.length - 1], upper};
    }""")
    assert drawn["upper"] == 2 * drawn["sd"] > 0
    # A click on each legend entry hides its band; BokehJS sends that to the server, which
    # then neither computes nor sends the envelope.
    page.locator(".bk-Figure").nth(1).scroll_into_view_if_needed()  # the History plot
    legend = page.evaluate(LEGEND_BOX)
    assert legend["items"] == 2
    row = (legend["height"] - 20) / 2  # 10 px of padding above and below the two rows
    for item in range(2):
        page.mouse.click(legend["x"] + 20, legend["y"] + 10 + (item + 0.5) * row)
    wait_until(lambda: page.evaluate(SHOWN)["bands"] == [False, False], timeout=10)
    wait_until(lambda: page.evaluate(SHOWN)["envelope"] == 0, timeout=10)
    app = served_app.app()
    assert served_app.on_server_loop(lambda: [band.visible for band in app.history.bands]) == [
        False, False]


def test_download_csv_saves_the_exact_history(served_app, open_page):
    page = open_page(served_app.url + "?period=20&batch=5000&seed=9&window=1000")
    app = served_app.app()
    wait_until(lambda: app.model.steps >= 200_000, timeout=30)
    run_in_session(app, lambda: app.model.param.update(paused=True))
    raw = served_app.on_server_loop(app.history.history.values)
    link = page.get_by_role("link", name="Download CSV")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path()) as file:
        header = json.loads(file.readline()[2:])
        assert file.readline() == "x,y\n"
        x, y = np.loadtxt(file, delimiter=",", unpack=True)
    assert header["seed"] == 9 and header["parameters"]["batch"] == 5000
    assert np.array_equal(x, np.arange(1, len(raw) + 1))
    assert y.tobytes() == raw.tobytes()
    assert page.external_requests == []
