"""The notebook helpers outside a browser: streaming before a view is ready, cell re-runs."""

from __future__ import annotations

import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from pyviz_comms import Comm

from brownian_panel.notebook import NotebookLink, release_on_rerun


def test_not_displayed_the_link_streams_into_the_source():
    source = ColumnDataSource(data={"x": [1.0], "y": [0.5]})
    NotebookLink(source).stream({"x": [2.0, 3.0], "y": [0.1, 0.2]}, rollover=2)
    assert source.data == {"x": [2.0, 3.0], "y": [0.1, 0.2]}


def test_displayed_before_the_view_is_ready_points_are_kept_without_events():
    source = ColumnDataSource(data={"x": [], "y": []})
    doc = Document()
    doc.add_root(source)
    doc.hold("combine")  # as Panel holds a notebook view's document
    link = NotebookLink(source)
    link.stream({"x": [1.0, 2.0], "y": [0.1, 0.2]}, rollover=None)
    assert list(source.data["x"]) == [1.0, 2.0]
    assert doc.callbacks._held_events == []  # nothing a later push could send out of order
    link.view_ready()
    assert link._behind  # the first update after the view is built replaces its data


@pytest.fixture
def shell():
    """A real IPython shell, cleared afterwards so other tests see no IPython."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    yield shell
    InteractiveShell.clear_instance()


def test_running_the_building_cell_again_releases_once(shell):
    released: list[int] = []
    shell.user_ns.update(released=released, release_on_rerun=release_on_rerun)
    shell.run_cell("release_on_rerun(lambda: released.append(1))", cell_id="home")
    shell.run_cell("x = 1", cell_id="other")
    assert released == []
    shell.run_cell("x = 2", cell_id="home")
    assert released == [1]
    shell.run_cell("x = 3", cell_id="home")
    assert released == [1]


def test_without_cell_ids_nothing_is_released_and_no_hook_stays(shell):
    released: list[int] = []
    shell.user_ns.update(released=released, release_on_rerun=release_on_rerun)
    events = ("pre_run_cell", "post_run_cell")
    hooks = {event: len(shell.events.callbacks[event]) for event in events}
    shell.run_cell("release_on_rerun(lambda: released.append(1))")
    shell.run_cell("x = 1")
    assert released == []
    assert {event: len(shell.events.callbacks[event]) for event in hooks} == hooks


@pytest.fixture
def kernel_patches():
    """Puts back what ``repair_kernel_comms`` patches process-wide."""
    from panel.reactive import Syncable

    handle, schedule = Comm._handle_msg, Syncable._schedule_change
    yield
    Comm._handle_msg, Syncable._schedule_change = handle, schedule


def test_comm_messages_from_another_thread_are_handled_on_the_main_thread_in_order(
        shell, kernel_patches):
    import asyncio
    import threading

    from brownian_panel.notebook import repair_kernel_comms

    handled: list[tuple[int, bool]] = []

    async def scenario() -> None:
        assert repair_kernel_comms()
        assert repair_kernel_comms()  # once only
        comm = Comm(on_msg=lambda message: handled.append(
            (message["n"], threading.current_thread() is threading.main_thread())))
        comm.decode = lambda message: dict(message)
        subshell = threading.Thread(target=lambda: [comm._handle_msg({"n": n})
                                                    for n in range(50)])
        subshell.start()
        subshell.join()
        comm._handle_msg({"n": 50})  # on the main thread: after the 50 still waiting
        for _ in range(100):
            if len(handled) == 51:
                break
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert handled == [(n, True) for n in range(51)]


def test_outside_ipython_comm_handling_is_left_alone():
    from panel.reactive import Syncable

    from brownian_panel.notebook import repair_kernel_comms

    handle, schedule = Comm._handle_msg, Syncable._schedule_change
    assert not repair_kernel_comms()
    assert (Comm._handle_msg, Syncable._schedule_change) == (handle, schedule)


def test_the_editor_carries_a_view_ready_outside_a_server_session_unless_told_not_to():
    from brownian_panel import BrownianMotion
    from brownian_panel.notebook import ViewReady
    from brownian_panel.views.editor import model_editor

    model = BrownianMotion()
    assert sum(isinstance(item, ViewReady) for item in model_editor(model).layout) == 1
    assert not any(isinstance(item, ViewReady)
                   for item in model_editor(model, notebook_view_ready=False).layout)


class _OpenComm(Comm):
    """A pyviz comm the browser has opened: what Panel pushes is recorded."""

    def __init__(self):
        super().__init__()
        self._comm = self  # open: Panel pushes at once
        self.sent: list[object] = []

    def send(self, data=None, metadata=None, buffers=None):
        self.sent.append(data)


def _browser_message(doc: Document, comm, model, **values) -> None:
    """Apply a browser's message to a notebook view's document as Panel's view does."""
    events = [{"kind": "ModelChanged", "model": {"id": model.id}, "attr": name, "new": value}
              for name, value in values.items()]
    held = doc.callbacks.hold_value
    doc.hold()
    try:
        doc.apply_json_patch({"events": events}, setter=comm.id)
    finally:
        doc.unhold()
        if held:
            doc.hold(held)


def test_every_change_of_a_browser_message_reaches_python(kernel_patches):
    # A slider moved in the browser sends value and value_throttled in one message; Panel
    # 1.10 ran only the first of them, and the last move could be lost (kernel one move behind).
    from brownian_panel import compat

    compat.release_holds_after_browser_changes()
    doc, comm = Document(), _OpenComm()
    slider = pn.widgets.FloatSlider(start=0, end=2, step=0.1, value=0.25)
    root = slider.get_root(doc, comm)
    doc.add_root(root)
    for value in (0.4, 0.5, 0.6):
        _browser_message(doc, comm, root, value=value, value_throttled=value)
        assert (slider.value, slider.value_throttled) == (value, value)
    assert doc.callbacks.hold_value is None
