"""Headless Chromium (Debian's package) driven by Playwright, and page helpers."""

from __future__ import annotations

import os
import re
import shutil
from urllib.parse import urlsplit

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def chromium_path() -> str | None:
    """Chromium to drive: $BROWNIAN_CHROMIUM, else /usr/bin/chromium, else chromium on PATH."""
    for candidate in (os.environ.get("BROWNIAN_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Playwright's sync API runs an asyncio loop in the main
    thread while it is open, which would break later tests that run one (asyncio.run,
    bokeh.client): it is closed after each module."""
    path = chromium_path()
    if path is None:
        message = "no Chromium found (install Debian's chromium or set BROWNIAN_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; browser tests must run in CI")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    """Opens pages in fresh browser contexts; records requests that leave the machine."""
    contexts = []

    def open_(url: str, width: int = 1280, console: list | None = None, whole: bool = True):
        """``console``: a list that gets every console message (type, text) of the page;
        ``whole``: wait until the parts built after the first point are there too."""
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        # Nothing may leave the machine: such requests are recorded, and refused at once.
        context.route(_NOT_LOOPBACK, lambda route: route.abort())
        page = context.new_page()
        page.external_requests = []
        page.on("request", lambda request: _record_external(page, request.url))
        if console is not None:
            page.on("console", lambda message: console.append((message.type, message.text)))
        page.goto(url)
        page.wait_for_function("() => window.Bokeh !== undefined && Bokeh.documents.length > 0"
                               " && Bokeh.documents[0].get_model_by_name('path') !== null")
        if whole:
            page.wait_for_function(PAGE_WHOLE)
        return page

    yield open_
    for context in contexts:
        context.close()


_NOT_LOOPBACK = re.compile(r"^(?!https?://(127\.0\.0\.1|localhost|\[::1\])[:/])[a-z]+://")


#: The page's parts built after its first point are there (runtime.later): History,
#: histogram and slider. (BokehJS keeps a model dropped from the layout findable by name.)
PAGE_WHOLE = """() => {
    const doc = Bokeh.documents[0];
    return ['history-plot', 'increments-plot'].every((name) => doc.get_model_by_name(name))
        && [...doc.all_models].some((model) => model.type === 'Slider');
}"""


def _record_external(page, url: str) -> None:
    host = urlsplit(url).hostname
    local = host in (None, "127.0.0.1", "localhost", "::1")
    if not local and not url.startswith(("data:", "blob:")):
        page.external_requests.append(url)


def browser_path(page) -> dict:
    """The x and y values of the path the page holds now."""
    return page.evaluate("""() => {
        const data = Bokeh.documents[0].get_model_by_name('path').data;
        const column = (name) => Array.from(data instanceof Map ? data.get(name) : data[name]);
        return {x: column('x'), y: column('y')};
    }""")


def browser_tail(page) -> tuple[int, float | None]:
    """How many points the page's plot holds and its last x, without copying the path out of
    the page (a 400,000-point window takes seconds to hand over)."""
    return tuple(page.evaluate("""() => {
        const data = Bokeh.documents[0].get_model_by_name('path').data;
        const x = data instanceof Map ? data.get('x') : data.x;
        return [x.length, x.length ? x[x.length - 1] : null];
    }"""))


def browser_points(page) -> int:
    """Number of points the page's plot holds now."""
    return browser_tail(page)[0]


def browser_last_x(page) -> float | None:
    """The x of the last point the page's plot holds (None while it holds none)."""
    return browser_tail(page)[1]


def connection_notice(page) -> str | None:
    """The text of the page's connection notice while it is shown, else None."""
    return page.evaluate("""() => {
        const notice = Bokeh.documents[0].get_model_by_name('connection_notice');
        return notice.visible ? notice.text : null;
    }""")
