"""Panel's notebook machinery (Panel 1.9-1.10, pyviz_comms 3): a document's view comm, the
kernel-side handler of comm messages, and a browser-side patch of Panel's ``CommManager``.
Why each is needed: docs/architecture.md ("Notebook") and docs/upstream.md.
"""

from __future__ import annotations

import collections
import threading
from pathlib import Path
from typing import Any

from bokeh.document import Document

from .feature import Feature, NotNeeded, expect


def _probe_views() -> None:
    import panel as pn

    expect(isinstance(getattr(type(pn.state), "_views", None), dict),
           "panel.io.state._state._views: {id: (viewable, root, document, comm)}")


VIEWS = Feature(
    "notebook-views",
    uses="panel.state._views",
    written_for="Panel 1.9.4, 1.10.0",
    stands_in_for="the comm of the notebook view showing a document",
    fallback="Panel's own pushes (points may be dropped or reordered in a notebook view)",
    probe=_probe_views,
)


def view_comm(doc: Document | None) -> Any | None:
    """The Panel comm of the notebook view rendered into ``doc``, or None."""
    if doc is None or not VIEWS.on:
        return None
    import panel as pn

    for _viewable, _root, view_doc, comm in list(pn.state._views.values()):
        if view_doc is doc and comm is not None:
            return comm
    return None


def _probe_comm_handler() -> None:
    from pyviz_comms import Comm

    expect(callable(getattr(Comm, "_handle_msg", None)), "pyviz_comms.Comm._handle_msg(msg)")


COMM_HANDLER = Feature(
    "comm-messages-on-main-thread",
    uses="pyviz_comms.Comm._handle_msg, replaced process-wide",
    written_for="pyviz_comms 3.0.6 with ipykernel 7 (JupyterLab 4.4+ subshells)",
    stands_in_for="comm messages handled on the kernel's main thread, in order",
    fallback="messages handled on the subshell's thread (an update may be dropped)",
    probe=_probe_comm_handler,
)


def handle_comm_messages_on_main_thread(loop: Any) -> bool:
    """Make every pyviz comm hand the messages it receives on another thread to the main
    thread's ``loop``, handled in arrival order (docs/architecture.md, "Notebook"). Call on the
    kernel's main thread; patches ``Comm._handle_msg`` once; returns whether it is in place."""
    if not COMM_HANDLER.on:
        return False
    from pyviz_comms import Comm

    if getattr(Comm._handle_msg, "on_main_thread", False):
        return True
    main = threading.main_thread()
    handle = Comm._handle_msg
    waiting: collections.deque[tuple[Any, Any]] = collections.deque()
    lock = threading.Lock()

    def handle_waiting() -> None:  # on the main thread
        while True:
            with lock:
                if not waiting:
                    return
                comm, message = waiting.popleft()
            handle(comm, message)

    def handle_on_main_thread(comm: Any, message: Any) -> None:
        with lock:
            waiting.append((comm, message))
        if threading.current_thread() is main:
            handle_waiting()  # the earlier messages first, then this one
        else:
            loop.add_callback(handle_waiting)

    handle_on_main_thread.on_main_thread = True
    Comm._handle_msg = handle_on_main_thread
    return True


def _probe_change_release() -> None:
    import inspect

    import panel as pn
    from panel.reactive import Syncable
    from pyviz_comms import Comm

    expect(list(inspect.signature(Syncable._schedule_change).parameters) ==
           ["self", "doc", "comm"], "Syncable._schedule_change(self, doc, comm)")
    doc = Document()
    with pn.io.hold(doc, comm=Comm()):  # as Panel applies a browser change in a notebook
        pass
    if doc.callbacks.hold_value is None:
        raise NotNeeded("Panel releases a notebook view's document after a browser change")


CHANGE_RELEASE = Feature(
    "notebook-change-release",
    uses="panel.reactive.Syncable._schedule_change, wrapped process-wide",
    written_for="Panel 1.10.0 (1.9.4 releases the document itself: not needed there)",
    stands_in_for="Panel's hold(doc, comm=...) leaving the document as it found it",
    fallback="Panel's handling (of a browser message changing several properties, only the "
             "first reaches Python; the last slider move can be lost)",
    probe=_probe_change_release,
)


def release_holds_after_browser_changes() -> bool:
    """Make a notebook view's document unheld again after Panel has applied a browser change
    to Python. Panel 1.10 leaves it held: the next changes of the same browser message are
    then held instead of run, and the next push sends them back to the browser without ever
    running them (three quick slider moves ended with the kernel one move behind). Patches
    once; returns whether it is in place."""
    if not CHANGE_RELEASE.on:
        return False
    from panel.reactive import Syncable

    schedule = Syncable._schedule_change
    if getattr(schedule, "releases_hold", False):
        return True

    def schedule_change(self: Any, doc: Document, comm: Any) -> None:
        held = doc.callbacks.hold_value
        try:
            schedule(self, doc, comm)
        finally:
            if comm is not None and held is None and doc.callbacks.hold_value is not None:
                doc.unhold()  # Panel has pushed what it held; release as it found it

    schedule_change.releases_hold = True
    Syncable._schedule_change = schedule_change
    return True


#: Names the browser-side patch relies on, and the bundle that must hold each.
_BROWSER_NAMES = {"panel/dist/panel.min.js": ("_document_changed", "msg_handler", "_receiver",
                                              "process_events", "_event_buffer", "_blocked",
                                              "_timeout"),
                  "bokeh/server/static/js/bokeh.min.js": ("_current_consumer", "_HEADER")}


def _probe_browser_patch() -> None:
    import bokeh
    import panel

    roots = {"panel": Path(panel.__file__).parent, "bokeh": Path(bokeh.__file__).parent}
    for bundle, names in _BROWSER_NAMES.items():
        package, _, rest = bundle.partition("/")
        text = (roots[package] / rest).read_text(encoding="utf-8", errors="replace")
        for name in names:
            expect(name in text, f"{name} in {bundle}")


COMM_MANAGER_PATCH = Feature(
    "notebook-comm-manager-patch",
    uses="the browser's CommManager._document_changed / msg_handler / _receiver / "
         "process_events / _event_buffer / _blocked / _timeout (Panel) and "
         "Receiver._current_consumer / _HEADER (BokehJS)",
    written_for="Panel 1.9.4, 1.10.0; BokehJS 3.9.2, 3.10.2",
    stands_in_for="a CommManager that skips sync:false events, keeps frames aligned and "
                  "sends changes held past its timeout",
    fallback="Panel's CommManager (kernel changes echoed back; a view may freeze or keep "
             "its last changes)",
    probe=_probe_browser_patch,
)

#: Browser code: ``patchCommManager(manager)`` returns "" when patched, else what is missing.
COMM_MANAGER_PATCH_JS = """
function isHeader(frame) {  // Bokeh's message header: {"msgid": ..., "msgtype": ...}
  return /^\\{\\s*"msgid"\\s*:/.test(frame.slice(0, 20))
}

// Changes made while the kernel has not acknowledged the last message wait for that
// acknowledgement, or for a change after the timeout: one never acknowledged held the last
// changes for good. Send them once the timeout has passed.
function sendWhenTimedOut(manager) {
  if (manager._timedOutSend != null || !manager._blocked || manager._event_buffer.length === 0) {
    return
  }
  manager._timedOutSend = setTimeout(() => {
    manager._timedOutSend = null
    if (manager._event_buffer.length === 0) {
      return
    }
    if (manager._blocked && Date.now() < manager._timeout) {
      sendWhenTimedOut(manager)  // acknowledged and blocked again meanwhile
      return
    }
    manager._blocked = true
    manager._timeout = Date.now() + manager.timeout
    manager.process_events()
  }, Math.max(0, manager._timeout - Date.now()) + 10)
}

function patchCommManager(manager) {
  if (typeof manager._document_changed !== "function" ||
      typeof manager.msg_handler !== "function" ||
      typeof manager.process_events !== "function") {
    return "CommManager._document_changed / msg_handler / process_events"
  }
  const sendChange = manager._document_changed
  manager._document_changed = function (event) {
    if (event.sync !== false) {  // false: applied from the kernel, which has it already
      sendChange.call(this, event)
      sendWhenTimedOut(this)
    }
  }
  // Each kernel message comes as three frames (header, metadata, content). A view that
  // was indexed while one arrived got only its last frames, and read every message after
  // it off by one frame: skip frames until a header, start anew at a header.
  const handleFrame = manager.msg_handler
  manager.msg_handler = function (msg) {
    const frame = msg.content?.data
    const receiver = this._receiver
    if (receiver != null && "_current_consumer" in receiver && "_HEADER" in receiver &&
        typeof frame === "string" && frame.length > 0) {
      const awaitsHeader = receiver._current_consumer === receiver._HEADER
      if (awaitsHeader && !isHeader(frame)) {
        return
      }
      if (!awaitsHeader && isHeader(frame)) {
        this._receiver = new receiver.constructor()
      }
    }
    return handleFrame.call(this, msg)
  }
  return ""
}
"""
