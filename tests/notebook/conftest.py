"""The JupyterLab tests' server and page: ``lab`` serves ``lab_notebook`` (the example unless a
module overrides it) and ``notebook`` opens it in Chromium and runs every cell."""

from __future__ import annotations

import json
import re
import time

import pytest

from ..browser.conftest import _NOT_LOOPBACK, _record_external, browser  # noqa: F401
from ..helpers import wait_until
from .jupyterlab import JupyterLab
from .test_notebook import NOTEBOOK

#: The path's x values in the page, from whichever Bokeh document holds the live plot.
BROWSER_X = """() => {
    const found = [];
    for (const doc of Bokeh.documents) {
        const source = doc.get_model_by_name('path');
        if (source === null) continue;
        const data = source.data;
        const column = (name) => Array.from(data instanceof Map ? data.get(name) : data[name]);
        found.push({x: column('x'), y: column('y')});
    }
    return found[found.length - 1] ?? null;
}"""


def press_editor_slider(page, presses: int) -> tuple[float, object]:
    """Press the parameter editor's variance slider right (left above 1) ``presses`` times;
    the kernel's variance before, and the slider's title."""
    editor = page.locator(".jp-CodeCell", has_text="model_editor(app.model)")
    handle = editor.locator(".jp-OutputArea .noUi-handle").first
    before = page.kernel.value("app.model.variance")
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight" if before < 1 else "ArrowLeft")
    return before, editor.locator(".jp-OutputArea .bk-slider-title").first


def editor_value_reached_kernel(page, before: float, title, presses: int) -> bool:
    """Assert that the kernel's variance has moved from ``before`` by every one of ``presses``
    steps of 0.1 (more than ``presses - 1``) to what the editor's slider shows (its title
    rounds to 0.1)."""
    variance = page.kernel.value("app.model.variance")
    shown = float(re.search(r"Variance:\s*([\d.]+)", title.inner_text()).group(1))
    moved = abs(variance - before) > 0.1 * (presses - 1) and variance != before
    assert moved and shown == pytest.approx(variance, abs=0.05), (
        f"the kernel's variance {variance} (before: {before}); the editor's slider shows "
        f"{shown}; browser console errors and warnings: {page.console_problems[-10:]}")
    return True


@pytest.fixture(scope="module")
def lab_notebook() -> dict:
    """The notebook JupyterLab serves (a module may override: the example with changes)."""
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory, lab_notebook):
    """JupyterLab serving ``lab_notebook``; kernels shut down and server stopped after."""
    root, home = tmp_path_factory.mktemp("lab-root"), tmp_path_factory.mktemp("lab-home")
    (root / NOTEBOOK.name).write_text(json.dumps(lab_notebook), encoding="utf-8")
    started = time.monotonic()
    server = JupyterLab(root, home)
    server.started_in = time.monotonic() - started
    yield server
    server.shut_down_kernels()
    server.stop()


@pytest.fixture(scope="module")
def notebook(lab, browser):  # noqa: F811
    """The notebook open in Chromium with every cell run; its kernel's client and pid."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(_NOT_LOOPBACK, lambda route: route.abort())
    page = context.new_page()
    page.external_requests = []
    page.on("request", lambda request: _record_external(page, request.url))
    page.console_problems = []
    page.on("console", lambda message: message.type in ("error", "warning")
            and page.console_problems.append(message.text))
    started = time.monotonic()
    page.goto(lab.notebook_url(NOTEBOOK.name))
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    wait_until(lambda: lab.kernel_states() == [("idle", True)], timeout=60)
    first_cell = page.locator(".jp-CodeCell .jp-InputPrompt").first
    for _attempt in range(3):  # a click landing while the page still connects runs nothing
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            wait_until(lambda: re.search(r"\[\d+\]", first_cell.inner_text()), timeout=15)
            break
        except AssertionError:
            continue
    app_cell = page.locator(".jp-CodeCell", has_text="app = BrownianApp()")
    app_prompt = app_cell.locator(".jp-InputPrompt")
    wait_until(lambda: app_prompt.inner_text().strip() == "[2]:", timeout=30)  # each cell ran once
    try:
        page.wait_for_function(f"() => window.Bokeh !== undefined && ({BROWSER_X})() !== null",
                               timeout=90_000)
    except Exception:
        shot = lab.log.parent / "no-plot.png"
        page.screenshot(path=shot)
        raise AssertionError(f"no plot after running all cells: see {shot}, {lab.log}") from None
    [kernel_id] = lab.kernel_ids()
    kernel = lab.kernel(kernel_id)
    wait_until(lambda: kernel.value("'app' in globals() and app.stream.running"), timeout=60)
    page.ready_in = time.monotonic() - started
    page.kernel, page.kernel_pid = kernel, kernel.value("__import__('os').getpid()")
    yield page
    kernel.close()
    context.close()
