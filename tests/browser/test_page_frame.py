"""The page as a person reads and uses it, at 1280 px and on a 390-px phone: layout, the
variance slider's marks and typed entry, what explains the page, the zoomed History, a quiet
console, the JavaScript it weighs, axe-core and the keyboard."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ..conftest import PYTHON, REPO_ROOT
from ..helpers import run_in_session, wait_until
from .conftest import PAGE_WHOLE, browser_points

pytestmark = pytest.mark.browser

DESKTOP, PHONE = 1280, 390

#: Bounding boxes of named Bokeh models as the page draws them.
BOXES = """(names) => {
    const doc = Bokeh.documents[0];
    const boxes = {};
    for (const name of names) {
        const model = doc.get_model_by_name(name);
        const view = model && Bokeh.index.find_one(model);
        if (view) {
            const r = view.el.getBoundingClientRect();
            boxes[name] = {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                           width: r.width};
        }
    }
    return boxes;
}"""

PLOTS = ["live-plot", "history-plot", "increments-plot"]

#: The element that has the keyboard focus, through shadow roots.
FOCUSED = """() => {
    let element = document.activeElement;
    while (element && element.shadowRoot && element.shadowRoot.activeElement) {
        element = element.shadowRoot.activeElement;
    }
    if (!element) return null;
    const name = element.getAttribute('aria-label') || element.textContent || '';
    return `${element.tagName.toLowerCase()}.${element.className} ${name.trim()}`;
}"""


def boxes(page, names: list[str]) -> dict:
    return page.evaluate(BOXES, names)


def messages(page) -> str:
    """The text the page's messages (refused values) show, '' when hidden."""
    pane = page.locator(".messages")
    if not pane.is_visible():
        return ""
    return pane.evaluate("""(element) => [...element.shadowRoot.children]
        .filter((child) => child.tagName !== 'STYLE' && child.tagName !== 'LINK')
        .map((child) => child.textContent).join('').trim()""")


def history_status(page) -> str:
    return page.evaluate(
        "() => Bokeh.documents[0].get_model_by_name('history-status').text")


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_layout_fits_the_width(served_app, open_page, width):
    page = open_page(served_app.url, width=width)
    assert page.evaluate("document.querySelector('meta[name=viewport]').content") == \
        "width=device-width, initial-scale=1"
    wait_until(lambda: browser_points(page) >= 2)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    found = boxes(page, ["controls", *PLOTS, "variance-estimate"])
    for name in PLOTS:
        assert found[name]["width"] >= 300, (name, found[name])
        assert found[name]["right"] <= width
    controls, live = found["controls"], found["live-plot"]
    histogram, estimate = found["increments-plot"], found["variance-estimate"]
    if width == PHONE:
        assert controls["bottom"] <= live["top"]  # controls above the plots
        assert estimate["top"] >= histogram["bottom"]  # estimate under the histogram
    else:
        assert controls["right"] <= live["left"]  # a sidebar beside the plots
        assert abs(controls["top"] - live["top"]) < 40


def test_shared_page_has_the_same_frame_on_a_phone(served_shared, open_page):
    page = open_page(served_shared.url, width=PHONE)
    expect(page.locator("h1")).to_have_text("Brownian motion (shared)")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    found = boxes(page, ["controls", *PLOTS])
    assert found["controls"]["bottom"] <= found["live-plot"]["top"]
    assert all(found[name]["width"] >= 300 for name in PLOTS)
    expect(page.locator(".marks")).to_have_text("00.511.52")


def test_a_finger_on_a_plot_scrolls_the_page(served_app, browser):
    # A phone: no drag tool starts active, so a swipe on a plot scrolls the page instead of
    # panning the plot (with the pan tool on, this swipe scrolled 0 px).
    context = browser.new_context(viewport={"width": PHONE, "height": 800}, has_touch=True,
                                  is_mobile=True)
    try:
        page = context.new_page()
        page.goto(served_app.url)
        page.wait_for_function("() => window.Bokeh !== undefined && Bokeh.documents.length > 0"
                               " && Bokeh.documents[0].get_model_by_name('live-plot')")
        assert page.evaluate("window.innerWidth") == PHONE  # the viewport meta is honoured
        # The History and histogram come after the first point: theirs too.
        page.wait_for_function(PAGE_WHOLE)
        wait_until(lambda: page.evaluate("""() => PLOTS.every((name) => {
            const plot = Bokeh.documents[0].get_model_by_name(name);
            return plot.toolbar.tools.every((tool) => !tool.active || tool.type === 'HoverTool');
        })""".replace("PLOTS", str(PLOTS))), timeout=10)
        live = boxes(page, ["live-plot"])["live-plot"]
        x, y = PHONE / 2, live["top"] + 150
        assert y < 800 - 50, live  # the plot is on screen
        cdp = context.new_cdp_session(page)
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for step in range(1, 11):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                                  "touchPoints": [{"x": x, "y": y - 15 * step}]})
            page.wait_for_timeout(16)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        wait_until(lambda: page.evaluate("window.scrollY") >= 50, timeout=5)
    finally:
        context.close()


def test_variance_slider_has_marks_and_a_typed_entry(served_app, open_page):
    page = open_page(served_app.url)
    app = served_app.app()
    marks = page.locator(".marks")
    expect(marks).to_have_text("00.511.52")
    track = page.locator(".noUi-base").first.bounding_box()
    spans = marks.locator("span")
    first, last = spans.first.bounding_box(), spans.last.bounding_box()
    # The end marks sit at the track's ends.
    assert abs(first["x"] + first["width"] / 2 - track["x"]) < 12
    assert abs(last["x"] + last["width"] / 2 - (track["x"] + track["width"])) < 12

    entry = page.get_by_role("textbox", name="Type a variance (0 to 2)")
    entry.fill("0.5")
    entry.press("Enter")
    wait_until(lambda: app.model.variance == 0.5)
    expect(page.locator(".bk-slider-title")).to_have_text(re.compile(r"^Variance:\s*0\.5$"))
    entry.fill("5")
    entry.press("Enter")
    wait_until(lambda: messages(page) ==
               "Variance must be a number from 0 to 2, not 5 — kept 0.5.")
    expect(entry).to_have_value("0.5")
    assert app.model.variance == 0.5
    wait_until(lambda: browser_points(page) >= 2)  # still streaming

    # A typed period out of range is refused in words, the period kept.
    page.get_by_text("Run settings").click()
    period = page.get_by_role("textbox", name="Period (ms)")
    period.fill("5")
    period.press("Enter")
    wait_until(lambda: messages(page) ==
               "Period (ms) must be a whole number from 20 to 10,000, not 5 — kept 500.")
    expect(period).to_have_value("500")
    assert app.model.period == 500


def test_page_explains_what_it_draws(served_app, open_page):
    page = open_page(served_app.url + "?batch=3&period=400")
    about = page.locator(".about")
    expect(about).to_contain_text("N(0, variance), variance 1")
    expect(about).to_contain_text("adds 3 points every 400 ms")
    titles = page.evaluate("""() => ['live-plot', 'history-plot', 'increments-plot'].map(
        (name) => Bokeh.documents[0].get_model_by_name(name).title.text)""")
    assert titles == ["Live: the last 10,000 steps", "History: every step since the reset",
                      "Increments since the last variance change"]
    wait_until(lambda: browser_points(page) >= 6)
    # Hover over the live plot: step and position of the point under the pointer.
    live = page.locator(".bk-Figure").first
    box = live.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
    tooltip = page.locator(".bk-Tooltip").first
    expect(tooltip).to_contain_text("step")
    expect(tooltip).to_contain_text("position")

    # An ensemble: the bands and the median have a legend; History says which path it shows.
    app = served_app.app()
    run_in_session(app, lambda: app.model.param.update(paths=20))
    wait_until(lambda: page.evaluate("""() => {
        const plot = Bokeh.documents[0].get_model_by_name('live-plot');
        return plot.center.filter((m) => m.items).flatMap((m) => m.items)
            .map((item) => item.label.value).join('|');
    }""") == "5–95% of the 20 paths|25–75% of the 20 paths|median")
    wait_until(lambda: page.evaluate(
        "() => Bokeh.documents[0].get_model_by_name('history-plot').title.text") ==
        "History: path 1 of 20 (every step since the reset)")
    expect(about).to_contain_text("N(0, variance), variance 1")


def test_zoomed_history_fits_y_keeps_counting_and_says_how_to_follow(served_app, open_page):
    page = open_page(served_app.url + "?period=50&batch=50&seed=11")
    app = served_app.app()
    wait_until(lambda: len(app.history.history) >= 5_000, timeout=20)
    history_plot = page.locator(".bk-Figure").nth(1)
    history_plot.scroll_into_view_if_needed()
    box = history_plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    for _ in range(12):
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(30)
    wait_until(lambda: "zoomed in" in history_status(page), timeout=10)
    state = """() => {
        const doc = Bokeh.documents[0];
        const plot = doc.get_model_by_name('history-plot');
        const data = doc.get_model_by_name('history').data;
        const y = Array.from(data instanceof Map ? data.get('y') : data.y);
        const x = Array.from(data instanceof Map ? data.get('x') : data.x);
        return {x0: plot.x_range.start, x1: plot.x_range.end, y0: plot.y_range.start,
                y1: plot.y_range.end, low: Math.min(...y), high: Math.max(...y),
                first: x[0], last: x[x.length - 1]};
    }"""

    def fitted():
        s = page.evaluate(state)
        inside = s["first"] >= s["x0"] - 1 and s["last"] <= s["x1"] + 1
        span = s["high"] - s["low"]
        fits = s["y0"] <= s["low"] and s["y1"] >= s["high"] and \
            (s["y1"] - s["y0"]) <= 1.25 * span
        return inside and fits and s
    try:
        wait_until(fitted, timeout=10)
    except AssertionError:
        print("history state:", page.evaluate(state))
        raise
    count = re.compile(r"History: ([0-9,]+) points")
    first = int(count.search(history_status(page)).group(1).replace(",", ""))
    wait_until(lambda: int(count.search(history_status(page)).group(1).replace(",", ""))
               > first + 100, timeout=10)
    assert "the toolbar's reset (↻) follows the run again" in history_status(page)
    # The toolbar's reset: following again, the hint gone.
    history_plot.locator(".bk-tool-icon-reset").click()
    wait_until(lambda: "zoomed" not in history_status(page), timeout=10)


def test_console_stays_silent_through_load_reset_pause_zoom_and_export(served_app, open_page):
    console: list = []
    page = open_page(served_app.url + "?period=100&batch=10", console=console)
    wait_until(lambda: browser_points(page) >= 20)
    page.get_by_role("button", name="Reset").click()
    wait_until(lambda: browser_points(page) >= 20)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Resume").click()
    history_plot = page.locator(".bk-Figure").nth(1)
    history_plot.scroll_into_view_if_needed()
    box = history_plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(5):
        page.mouse.wheel(0, -100)
    wait_until(lambda: "zoomed in" in history_status(page), timeout=10)
    history_plot.locator(".bk-tool-icon-reset").click()
    with page.expect_download() as download:
        page.get_by_text("Download CSV").click()
    assert Path(download.value.path()).read_text().count("\n") > 20
    page.get_by_role("button", name="Reset").click()
    wait_until(lambda: browser_points(page) >= 10)
    noisy = [(kind, text) for kind, text in console if kind in ("warning", "error")]
    assert noisy == []


def test_first_load_javascript_weight(start_process, browser):
    base = start_process(lambda port: [PYTHON, "-m", "brownian_panel", "--port", str(port)])
    context = browser.new_context()
    scripts: dict[str, dict] = {}

    def on_response(response):
        request = response.request
        if request.resource_type == "script" and not response.url.startswith("blob:"):
            scripts[response.url] = {"decoded": len(response.body()),
                                     "sent": request.sizes()["responseBodySize"],
                                     "encoding": response.headers.get("content-encoding")}
    try:
        page = context.new_page()
        page.on("response", on_response)
        page.goto(f"{base}/brownian")
        page.wait_for_function("() => window.Bokeh !== undefined && Bokeh.documents.length > 0")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    decoded = sum(script["decoded"] for script in scripts.values())
    sent = sum(script["sent"] for script in scripts.values())
    print(f"JavaScript on first load: {len(scripts)} files, {decoded:,} bytes, "
          f"{sent:,} bytes sent")
    assert not [url for url in scripts if "tabulator" in url or "luxon" in url]
    assert all(script["encoding"] == "gzip" for script in scripts.values())
    assert sent <= 2_500_000
    assert decoded <= 3_000_000


def _axe_source() -> str:
    path = Path(os.environ.get("BROWNIAN_AXE", REPO_ROOT / ".cache" / "axe-core" / "axe.min.js"))
    if not path.exists():
        message = f"axe-core not found at {path} (tests/both_stacks.sh fetches it with npm)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path.read_text()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_axe_finds_no_serious_or_critical_violation(served_app, open_page, width):
    source = _axe_source()
    page = open_page(served_app.url, width=width)
    wait_until(lambda: browser_points(page) >= 2)
    page.get_by_text("Run settings").click()  # every control drawn
    expect(page.get_by_role("textbox", name="Period (ms)")).to_be_visible()
    page.wait_for_timeout(200)
    page.add_script_tag(content=source)
    violations = page.evaluate("""async () => {
        const result = await axe.run(document);
        return result.violations.map((v) => ({id: v.id, impact: v.impact,
            nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3)}));
    }""")
    print("axe-core violations:", violations)
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []


#: The page's slider handles and spin buttons (through every shadow root): how many, and the
#: classes of those without an accessible name.
UNNAMED_CONTROLS = """() => {
    const found = [], unnamed = [];
    const walk = (root) => {
        for (const element of root.querySelectorAll(
                ".noUi-handle, .bk-spin-btn-up, .bk-spin-btn-down")) {
            found.push(element);
            if (!element.getAttribute("aria-label")) unnamed.push(element.className);
        }
        for (const element of root.querySelectorAll("*")) {
            if (element.shadowRoot) walk(element.shadowRoot);
        }
    };
    walk(document);
    return [found.length, unnamed];
}"""


def test_controls_in_a_folded_card_are_named_and_stay_named_when_it_unfolds(served_app,
                                                                           open_page):
    page = open_page(served_app.url)
    wait_until(lambda: page.evaluate(PAGE_WHOLE), timeout=30)
    wait_until(lambda: page.evaluate(UNNAMED_CONTROLS)[1] == [])
    page.get_by_text("Run settings").click()
    period = page.get_by_role("textbox", name="Period (ms)")
    expect(period).to_be_visible()
    page.wait_for_timeout(600)  # past any redraw and relabelling
    count, unnamed = page.evaluate(UNNAMED_CONTROLS)
    assert count >= 2 + 2 * 5 and unnamed == []  # the variance handle(s), 5 number boxes
    expect(page.get_by_role("button", name="Increase Period (ms)")).to_have_count(1)


def test_keyboard_reaches_and_operates_every_control(served_app, open_page):
    page = open_page(served_app.url)
    app = served_app.app()
    wait_until(lambda: browser_points(page) >= 1)
    reached = []
    for _ in range(25):  # the controls come first, then the plots' toolbars
        page.keyboard.press("Tab")
        reached.append(page.evaluate(FOCUSED))
        if "Download CSV" in (reached[-1] or ""):
            break
    wanted = {"variance handle": "noUi-handle", "typed variance": "input.bk-input",
              "Reset": "Reset", "Pause": "Pause", "Run settings": "card-header",
              "Download CSV": "Download CSV"}
    for what, mark in wanted.items():
        assert any(mark in (element or "") for element in reached), (what, reached)

    page.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    wait_until(lambda: app.model.variance == pytest.approx(1.1))
    page.get_by_role("button", name="Pause").focus()
    page.keyboard.press("Enter")
    wait_until(lambda: app.model.paused)
    page.get_by_role("button", name="Resume").focus()
    page.keyboard.press("Space")
    wait_until(lambda: not app.model.paused)
    settings = page.locator(".card-header", has_text="Run settings")
    settings.focus()
    page.keyboard.press("Enter")
    period = page.get_by_role("textbox", name="Period (ms)")
    expect(period).to_be_visible()
    period.focus()
    period.fill("250")
    page.keyboard.press("Enter")
    wait_until(lambda: app.model.period == 250)
