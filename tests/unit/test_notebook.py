"""The notebook helpers outside a browser: streaming before a view is ready, cell re-runs."""

from __future__ import annotations

import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource

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


def test_comm_messages_from_another_thread_are_handled_on_the_main_thread_in_order(shell):
    import asyncio
    import threading

    from pyviz_comms import Comm

    from brownian_panel.notebook import handle_comm_messages_on_main_thread

    original = Comm._handle_msg
    handled: list[tuple[int, bool]] = []

    async def scenario() -> None:
        assert handle_comm_messages_on_main_thread()
        assert handle_comm_messages_on_main_thread()  # once only
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

    try:
        asyncio.run(scenario())
    finally:
        Comm._handle_msg = original
    assert handled == [(n, True) for n in range(51)]


def test_outside_ipython_comm_handling_is_left_alone():
    from pyviz_comms import Comm

    from brownian_panel.notebook import handle_comm_messages_on_main_thread

    original = Comm._handle_msg
    assert not handle_comm_messages_on_main_thread()
    assert Comm._handle_msg is original


def test_the_editor_carries_a_view_ready_outside_a_server_session_unless_told_not_to():
    from brownian_panel import BrownianMotion
    from brownian_panel.editor import model_editor
    from brownian_panel.notebook import ViewReady

    model = BrownianMotion()
    assert sum(isinstance(item, ViewReady) for item in model_editor(model).layout) == 1
    assert not any(isinstance(item, ViewReady)
                   for item in model_editor(model, notebook_view_ready=False).layout)
