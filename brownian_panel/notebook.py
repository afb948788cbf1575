"""The notebook side of streaming: the browser's view holds exactly the kernel's points.

In a notebook Panel renders the app into a document whose changes are held until something
pushes them over the view's comm (``panel.io.notebook.push``). Left alone this goes wrong in
several ways (Panel 1.9, JupyterLab 4.6): held stream events wait for an unrelated push, and
any message from the browser releases the hold and drops them; a push made before the browser
has opened the comm is retried on a timer per message, so early updates arrive out of order;
messages that arrive before the browser has built the view are dropped; a page reload shows
the snapshot rendered when the cell ran; and binary buffers fail in Panel's browser-side comm
manager ("s is not iterable"). ``NotebookLink`` streams so that none of this happens:

- not displayed (no document): a plain ``source.stream``;
- displayed but the view not built yet: the points are appended without events (nothing to be
  retried out of order, nothing dropped) and the view is marked behind;
- ``ViewReady``, shown beside the plot, reports from the browser each time the view has been
  built (again after a reload): the next update replaces the view's whole data; the ones after
  it stream. Every update is pushed at once, as JSON lists.

JupyterLab 4.4+ sends comm messages to a kernel subshell (setting "Kernel Comms over
subshells", default "perCommTarget"), so ipykernel 7 handles the browser's messages on another
thread than the main one, where cells and periodic callbacks run. Panel's document handling is
not thread-safe: measured here, a browser message (the ping) handled on the subshell's thread
pushed its reply while the main thread pushed an update, their comm frames interleaved and the
browser dropped the update ("s is not iterable"). ``repair_kernel_comms`` hands each message
over to the main thread's event loop, in order, as before subshells. It also repairs Panel 1.10
leaving a view's document held after a browser change: of the value and value_throttled a
slider move sends, only the first reached Python, and the last move could be lost.

``ViewReady`` also patches Panel's browser side of notebook views (its ``CommManager``, Panel
1.9) where it goes wrong:
- it sends the kernel every change of the view's document, also those it has just applied from
  the kernel (Bokeh marks them ``sync: false``; its server connection never sends them back).
  The echo of a value the kernel has moved on from is taken for a new change: three quick moves
  of the editor's slider, echoed by the app's slider, ended with the kernel and the editor on
  the second value and the app on the third. The page now drops those events;
- each kernel message comes as three comm frames, and frames that arrive before the view is
  indexed are dropped: a view indexed between the frames of one message read every later
  message off by one frame ("s is not iterable" at each, the path frozen). The page now skips
  frames until a header and starts anew at each header.
And a view is built from the snapshot taken when its cell ran, so what the kernel changed
before the view was built (``Run All``: the cell setting the variance runs before the browser
has built the app above it) or since (a reload) was missing: on each ``ViewReady`` report the
kernel sends the view its widgets' current state (``resend_widget_state``).

``release_on_rerun`` ties an app to the notebook cell that built it: running that cell again
releases the old app, so re-running never leaves an orphan periodic callback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import panel as pn
import param
from bokeh.document import Document
from bokeh.document.events import ModelChangedEvent
from bokeh.models import ColumnDataSource, Widget
from panel.custom import JSComponent
from panel.io.notebook import push
from tornado.ioloop import IOLoop

from . import compat
from .compat import COMM_MANAGER_PATCH, COMM_MANAGER_PATCH_JS, view_comm
from .wire import append_columns


def _connection(comm: Any) -> Any | None:
    """The comm's open Jupyter connection: None until the browser opens it."""
    try:
        return comm.comm
    except ValueError:  # "Comm has not been initialized"
        return None


def _as_lists(data: dict[str, Any]) -> dict[str, list[float]]:
    return {name: np.asarray(values, dtype=np.float64).tolist() for name, values in data.items()}


def _appended(columns: dict[str, Any], data: dict[str, Any], rollover: int | None
              ) -> dict[str, list[float]]:
    """New columns: ``columns`` then ``data``, keeping the last ``rollover`` points."""
    merged = {}
    for name, values in data.items():
        column = list(columns[name]) + list(values)
        merged[name] = column[-rollover:] if rollover else column
    return merged


class NotebookLink:
    """Streams into a source shown in a notebook so the view holds exactly the kernel's data."""

    def __init__(self, source: ColumnDataSource):
        self.source = source
        #: True once the browser has reported the view built (``view_ready``).
        self._ready = False
        #: True when the view may lack points the source holds.
        self._behind = False

    def view_ready(self) -> None:
        """The browser has built the view (from the snapshot of the document): resend it all."""
        self._ready = self._behind = True

    def stream(self, data: dict[str, Any], rollover: int | None) -> None:
        """Append ``data`` (keeping the last ``rollover`` points) and bring the view along."""
        doc = self.source.document
        if doc is None:  # not displayed: nothing to keep in step
            self.source.stream(data, rollover)
            return
        data = _as_lists(data)
        comm = self._ready_comm(doc)
        if comm is None:
            append_columns(self.source, data, rollover)
            self._behind = True
            return
        if self._behind:
            self.source.data = _appended(self.source.data, data, rollover)
            self._behind = False
        else:
            self.source.stream(data, rollover)
        push(doc, comm)

    def push(self) -> None:
        """Send the document's held changes (e.g. a cleared path) if the view is connected."""
        doc = self.source.document
        comm = self._ready_comm(doc) if doc is not None else None
        if comm is None:
            self._behind = doc is not None
        else:
            push(doc, comm)

    def _ready_comm(self, doc: Document) -> Any | None:
        """The view's comm if the view is built and the comm open, else None."""
        comm = view_comm(doc) if self._ready else None
        return comm if comm is not None and _connection(comm) is not None else None


#: The widget properties the kernel changes while an app runs (not layout or styling).
LIVE_WIDGET_PROPERTIES = ("value", "label", "text", "title", "visible", "disabled", "button_type")


def resend_widget_state(doc: Document) -> None:
    """Send the browser's view of ``doc`` the live properties (``LIVE_WIDGET_PROPERTIES``) of
    every widget as they are now, so a view built from an older snapshot catches up."""
    comm = view_comm(doc)
    if comm is None or _connection(comm) is None:
        return
    held = doc.callbacks.hold_value
    if held is None:
        doc.hold("combine")
    for model in list(doc.models):
        if not isinstance(model, Widget):
            continue
        for name, value in model.properties_with_values(include_defaults=False).items():
            if name in LIVE_WIDGET_PROPERTIES:
                doc.callbacks.trigger_on_change(ModelChangedEvent(doc, model, name, value))
    push(doc, comm)
    if held is None:
        doc.unhold()


class ViewReady(JSComponent):
    """Invisible; its browser side reports each time the notebook view holding it has been built.

    On the report the kernel sends the view its widgets' current state (``resend_widget_state``),
    then calls ``on_ready``. Rendering it also patches, once per page, the class of the
    ``CommManager`` (the root Panel adds to each notebook view's document) so that no view sends
    the kernel back the changes the kernel made, and none reads messages off by a frame (see the
    module's doc).
    """

    _esm = COMM_MANAGER_PATCH_JS + """
    const COMM_MANAGER = "panel.models.comm_manager.CommManager"

    export function render({ model, view }) {
      let missing = ""
      for (const root of view.model.document.roots()) {
        const manager = Object.getPrototypeOf(root)
        if (model.patch_comm_manager && root.constructor.__qualified__ === COMM_MANAGER &&
            !manager._brownian_patched) {
          missing = patchCommManager(manager)
          manager._brownian_patched = missing === ""
        }
      }
      if (missing !== "") {
        console.warn(`brownian_panel: Panel's CommManager has no ${missing}: not patched`)
      }
      // After the current build: by then the view's root is indexed and takes messages.
      setTimeout(() => model.send_msg({ ready: true, missing }), 0)
    }
    """

    patch_comm_manager = param.Boolean(default=True, constant=True, doc="""
        Patch the page's CommManager (off where ``compat.COMM_MANAGER_PATCH`` is off).""")

    def __init__(self, on_ready: Callable[[], None] | None = None, **params):
        params.setdefault("height", 0)
        params.setdefault("width", 0)
        params.setdefault("margin", 0)
        params.setdefault("patch_comm_manager", COMM_MANAGER_PATCH.on)
        super().__init__(**params)
        self._on_ready = on_ready

    def _handle_msg(self, data: object) -> None:
        if not isinstance(data, dict) or data.get("ready") is not True:
            return
        if data.get("missing"):
            COMM_MANAGER_PATCH.turn_off(f"the browser's CommManager has no {data['missing']}")
        doc = pn.state.curdoc  # Panel sets it to the document of the view that sent this
        if doc is not None:
            resend_widget_state(doc)
        if self._on_ready is not None:
            self._on_ready()


def _ipython_shell() -> Any | None:
    """The running IPython shell, or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def release_on_rerun(release: Callable[[], None]) -> None:
    """Call ``release`` when the IPython cell running now runs again; no-op outside IPython."""
    shell = _ipython_shell()
    if shell is None:
        return
    home: dict[str, Any] = {}

    def record_cell(result: Any) -> None:
        home["cell"] = getattr(result.info, "cell_id", None)
        shell.events.unregister("post_run_cell", record_cell)
        if home["cell"] is None:  # the frontend does not name cells
            shell.events.unregister("pre_run_cell", release_if_home)

    def release_if_home(info: Any) -> None:
        if "cell" in home and getattr(info, "cell_id", None) == home["cell"]:
            shell.events.unregister("pre_run_cell", release_if_home)
            release()

    shell.events.register("post_run_cell", record_cell)
    shell.events.register("pre_run_cell", release_if_home)


def repair_kernel_comms() -> bool:
    """In IPython, on the kernel's main thread: make every pyviz comm created from now on hand
    the messages it receives on another thread (a kernel subshell's) to the main thread's event
    loop, handled in arrival order (one arriving on the main thread while earlier ones wait is
    handled after them: handled at once, it overtook them and three quick slider moves ended on
    the second one's value); and make every change of a browser message reach Python (Panel
    1.10 ran only the first, see ``compat.release_holds_after_browser_changes``).

    Returns whether the comm hand-over is in place (never outside IPython).
    """
    if _ipython_shell() is None or threading.current_thread() is not threading.main_thread():
        return False
    compat.release_holds_after_browser_changes()
    return compat.handle_comm_messages_on_main_thread(IOLoop.current())
