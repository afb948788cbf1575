"""The example notebook with a cell that keeps the kernel busy right after the parameter editor's.

The editor's view is built, and talks to the kernel, while its comm's opening waits behind that
cell; JupyterLab sends the comm's later messages to a subshell, which does not wait, so they
reach the kernel before the comm is open. ipykernel dropped them ("No such comm"), and Panel's
browser side then held every later change of that view, waiting for an acknowledgement.
"""

from __future__ import annotations

import pytest

from ..helpers import wait_until
from .conftest import editor_value_reached_kernel, press_editor_slider

pytestmark = pytest.mark.browser

#: The cell run right after the editor's: it records the comm messages ipykernel drops (not
#: its shell channel's routing look-ups, which warn too) and keeps the kernel busy.
BUSY_CELL = """\
import logging, threading, time

dropped = []

class RecordDropped(logging.Handler):
    def emit(self, record):
        if (record.getMessage().startswith("No such comm")
                and threading.current_thread().name != "Shell channel"):
            dropped.append(record.getMessage())

logging.getLogger("Comm").addHandler(RecordDropped())
time.sleep(4)"""


@pytest.fixture(scope="module")
def lab_notebook(lab_notebook):
    cells = lab_notebook["cells"]
    editor = next(index for index, cell in enumerate(cells)
                  if "model_editor(app.model)" in "".join(cell["source"]))
    cells.insert(editor + 1, {"cell_type": "code", "execution_count": None, "metadata": {},
                              "outputs": [], "source": BUSY_CELL.splitlines(keepends=True)})
    return lab_notebook


def test_a_view_built_while_the_kernel_is_busy_loses_no_message(notebook):
    before, title = press_editor_slider(notebook, presses=3)
    wait_until(lambda: editor_value_reached_kernel(notebook, before, title, presses=3),
               timeout=10)
    assert notebook.kernel.value("dropped") == []
