"""examples/brownian.ipynb in a real JupyterLab, driven by headless Chromium.

One JupyterLab server and one page for the module: Chromium opens the notebook, runs all cells,
and the tests read the path from the page's ``window.Bokeh`` documents and from the kernel.
Requests that would leave the machine are refused and recorded.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from ..helpers import wait_until
from .conftest import BROWSER_X, editor_value_reached_kernel, press_editor_slider
from .jupyterlab import process_alive, wait_gone

pytestmark = pytest.mark.browser

#: Calls ``(manager, document) => ...`` with the Panel comm manager of the live plot's view.
WITH_PLOT_MANAGER = """(call) => {
    for (const doc of Bokeh.documents) {
        if (doc.get_model_by_name('path') === null) continue;
        const manager = doc.roots().find((root) => root._receiver !== undefined);
        return call(manager, doc);
    }
    return null;
}"""

#: Records what the plot's view sends the kernel: each event's model id, attribute and value.
RECORD_SENT = f"""() => ({WITH_PLOT_MANAGER})((manager) => {{
    window.sentToKernel = [];
    const comm = manager._client_comm;
    const send = comm.send.bind(comm);
    comm.send = (message, metadata, buffers) => {{
        for (const event of message.content.events ?? []) {{
            window.sentToKernel.push([event.model?.id, event.attr, event.new]);
        }}
        return send(message, metadata, buffers);
    }};
    return true;
}})"""

#: Hands the plot's view one frame of a kernel message, as the page gets it over the comm,
#: between two messages.
FEED_FRAME = f"""(frame) => ({WITH_PLOT_MANAGER})((manager) => new Promise((resolve) => {{
    const feed = () => {{
        const receiver = manager._receiver;
        if (receiver._current_consumer !== receiver._HEADER) {{
            setTimeout(feed, 0);  // the frames of a message are arriving
            return;
        }}
        manager.msg_handler({{content: {{data: frame}}, metadata: {{}}, buffers: []}});
        resolve(true);
    }};
    feed();
}}))"""


#: Makes the editor view's next message to the kernel get lost (never sent, never acknowledged).
LOSE_NEXT_EDITOR_MESSAGE = """() => {
    for (const doc of Bokeh.documents) {
        if (doc.get_model_by_name('path') !== null) continue;
        if (!Array.from(doc.all_models).some((model) => model.title === 'Variance')) continue;
        const comm = doc.roots().find((root) => root._event_buffer !== undefined)._client_comm;
        const send = comm.send;
        window.lostEditorMessages = 0;
        comm.send = function () {
            comm.send = send;
            window.lostEditorMessages += 1;
        };
        return true;
    }
    return false;
}"""


def browser_path(page) -> dict:
    return page.evaluate(BROWSER_X)


def kernel_path(page) -> dict:
    return page.kernel.value("dict(zip('xy', (column.tolist() for column in app.stream.path())))")


def wait_growing(page, points: int = 4) -> None:
    """Wait until the page's path has grown by ``points``; say what the console said if not."""
    before = len(browser_path(page)["x"])
    try:
        wait_until(lambda: len(browser_path(page)["x"]) >= before + points, timeout=10)
    except AssertionError:
        raise AssertionError(f"the page's path stays at {before} points; browser console "
                             f"errors and warnings: {page.console_problems[-5:]}") from None


def settle_paused(page) -> tuple[dict, dict]:
    """Pause from Python, wait until the page holds what the kernel holds; both paths."""
    page.kernel.run("app.model.paused = True")
    kernel = kernel_path(page)
    try:
        wait_until(lambda: len(browser_path(page)["x"]) >= len(kernel["x"]), timeout=10)
    except AssertionError:
        shown = browser_path(page)
        documents = page.evaluate("() => Bokeh.documents.length")
        missing = sorted(set(kernel["x"]) - set(shown["x"]))
        raise AssertionError(
            f"the page holds {len(shown['x'])} points, the kernel {len(kernel['x'])}; "
            f"missing x {missing[:20]}; page x ends {shown['x'][-5:]}, kernel x ends "
            f"{kernel['x'][-5:]}; {documents} Bokeh documents; browser console errors and "
            f"warnings: {page.console_problems[-10:]}") from None
    return kernel, browser_path(page)


def test_the_plot_renders_with_no_request_leaving_the_machine(lab, notebook):
    assert browser_path(notebook) is not None
    app_cell = notebook.locator(".jp-CodeCell", has_text="app = BrownianApp()")
    wait_until(lambda: app_cell.locator(".jp-OutputArea canvas").first.is_visible())
    assert notebook.external_requests == []
    print(f"JupyterLab up in {lab.started_in:.1f} s; notebook run and plot shown in "
          f"{notebook.ready_in:.1f} s")


def test_after_run_all_the_controls_show_what_the_kernel_set(notebook):
    # "app.model.variance = 0.25" runs before the browser has built the app's view.
    variance = notebook.kernel.value("app.model.variance")
    assert variance == 0.25
    for cell_text in ("app = BrownianApp()", "model_editor(app.model)"):
        title = notebook.locator(".jp-CodeCell", has_text=cell_text).locator(
            ".jp-OutputArea .bk-slider-title").first
        try:
            wait_until(lambda title=title: title.inner_text() == "Variance: 0.3",  # 0.25 rounded
                       timeout=10)
        except AssertionError:
            raise AssertionError(f"the slider of the cell {cell_text!r} shows "
                                 f"{title.inner_text()!r}, the kernel's variance is 0.25") from None


def test_the_line_grows(notebook):
    notebook.kernel.run("app.model.paused = False")
    wait_growing(notebook)


def test_the_parameter_editors_slider_sets_variance_in_the_kernel(notebook):
    before, title = press_editor_slider(notebook, presses=3)
    wait_until(lambda: editor_value_reached_kernel(notebook, before, title, presses=3),
               timeout=10)
    shown = title.inner_text()
    # The app's own editor, above, follows the same model.
    app_cell = notebook.locator(".jp-CodeCell", has_text="app = BrownianApp()")
    app_title = app_cell.locator(".bk-slider-title").first
    try:
        wait_until(lambda: app_title.inner_text() == shown)
    except AssertionError:
        raise AssertionError(
            f"the app's slider shows {app_title.inner_text()!r}, the editor {shown!r}, the "
            f"kernel's variance is {notebook.kernel.value('app.model.variance')!r}; browser "
            f"console errors and warnings: {notebook.console_problems[-10:]}") from None


def test_changes_held_for_a_lost_acknowledgement_are_sent_after_the_timeout(notebook):
    # The editor's next message is lost on its way to the kernel (no acknowledgement comes):
    # the moves made meanwhile are sent once Panel's timeout (5 s) has passed.
    assert notebook.evaluate(LOSE_NEXT_EDITOR_MESSAGE)
    before, title = press_editor_slider(notebook, presses=1)
    time.sleep(0.5)  # that move's message (after Panel's 50 ms debounce) is lost
    assert notebook.evaluate("() => window.lostEditorMessages") == 1
    _, title = press_editor_slider(notebook, presses=3)
    wait_until(lambda: editor_value_reached_kernel(notebook, before, title, presses=4),
               timeout=10)


def test_the_page_does_not_send_back_what_the_kernel_sets(notebook):
    assert notebook.evaluate(RECORD_SENT)
    app_cell = notebook.locator(".jp-CodeCell", has_text="app = BrownianApp()")
    app_title = app_cell.locator(".bk-slider-title").first
    value = 1.7 if notebook.kernel.value("app.model.variance") != 1.7 else 1.3
    notebook.kernel.run(f"app.model.variance = {value}")
    wait_until(lambda: app_title.inner_text() == f"Variance: {value}", timeout=10)
    time.sleep(1.0)  # the page sends its changes within 50 ms
    sent = notebook.evaluate("() => window.sentToKernel")
    assert [event for event in sent if event[1] in ("value", "value_throttled")] == []
    assert notebook.kernel.value("app.model.variance") == value


@pytest.mark.parametrize("frame", ['{"use_buffers": true}',
                                   '{"msgid": "lost", "msgtype": "PATCH-DOC"}'],
                         ids=["a message's first frame lost", "a message's last frames lost"])
def test_the_view_keeps_streaming_after_a_lost_frame(notebook, frame):
    # A view indexed while a message's frames arrive gets only the last ones: the page must not
    # read every later message off by one frame.
    notebook.kernel.run("app.model.param.update(period=100, paused=False)")
    assert notebook.evaluate(FEED_FRAME, frame)
    wait_growing(notebook)
    kernel, shown = settle_paused(notebook)
    assert shown["x"] == kernel["x"]


def test_pausing_from_python_stops_the_growth(notebook):
    notebook.kernel.run("app.model.paused = False")
    before = len(browser_path(notebook)["x"])
    wait_until(lambda: len(browser_path(notebook)["x"]) > before, timeout=10)
    kernel, _ = settle_paused(notebook)
    time.sleep(2.0)
    assert len(browser_path(notebook)["x"]) == len(kernel["x"])


def test_the_kernels_path_and_the_pages_are_the_same_points_in_order(notebook):
    notebook.kernel.run("app.model.param.update(period=100, paused=False)")
    time.sleep(4.0)
    kernel, shown = settle_paused(notebook)
    assert len(kernel["x"]) >= 30
    assert shown["x"] == kernel["x"]
    assert shown["y"] == kernel["y"]
    assert np.all(np.diff(shown["x"]) > 0), "the line doubles back"


def test_rerunning_the_app_cell_releases_the_old_app(notebook):
    notebook.kernel.run("old_app = app")
    app_cell = notebook.locator(".jp-CodeCell", has_text="app = BrownianApp()")
    app_cell.locator(".jp-InputArea-editor").click()
    notebook.keyboard.press("Shift+Enter")
    wait_until(lambda: notebook.kernel.value("app is not old_app"), timeout=30)
    assert notebook.kernel.value("[old_app.stream.running, app.stream.running]") == [False, True]
    wait_until(lambda: len((browser_path(notebook) or {"x": []})["x"]) >= 3, timeout=30)
    kernel, shown = settle_paused(notebook)
    assert shown["x"] == kernel["x"]


def test_shutting_the_kernel_down_ends_its_process(lab, notebook):
    assert process_alive(notebook.kernel_pid)
    lab.shut_down_kernels()
    wait_gone(notebook.kernel_pid)
    assert not process_alive(notebook.kernel_pid)
