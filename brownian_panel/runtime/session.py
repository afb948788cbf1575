"""Which Bokeh document a component is being built for, and the server loop it lives on.

Bokeh 3.10 builds a session's document on a worker thread when the app is a function
(``pn.serve``), and on the server's loop for a script (``panel serve``): loop-bound work
(timers, tasks) is handed to the session's server loop with ``on_server_loop``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import panel as pn
from bokeh.document import Document
from tornado.ioloop import IOLoop

from .. import compat
from .ticker import hand_to_loop

log = logging.getLogger(__name__)


def server_session_document() -> Document | None:
    """The document of the Bokeh server session being built, or None (a notebook, plain Python,
    a test without a server)."""
    doc = pn.state.curdoc
    return doc if doc is not None and doc.session_context else None


def server_loop(doc: Document) -> IOLoop:
    """The IOLoop of the server running ``doc``'s session (the current one if unknown)."""
    server_context = getattr(doc.session_context, "server_context", None)
    application_context = getattr(server_context, "application_context", None)
    loop = getattr(application_context, "io_loop", None)
    return loop if isinstance(loop, IOLoop) else IOLoop.current()


def on_server_loop(doc: Document, action: Callable[[], object]) -> None:
    """Run ``action`` now if this is ``doc``'s server loop thread, else soon on that loop."""
    if not hand_to_loop(server_loop(doc), action):
        action()


def change_document(doc: Document | None, change: Callable[[], object]) -> None:
    """Run ``change`` (it sets Bokeh models of ``doc``) now when Bokeh takes it, else on the
    document's next tick, under its lock. For a model's watchers: Panel may run them outside
    the lock (a widget event arriving while a widget's change waits). ``doc`` None: now."""
    if doc is None or compat.takes_changes(doc):
        change()
    else:
        next_tick(doc, change, "a change of the page")


def next_tick(doc: Document, callback: Callable[[], object], what: str) -> None:
    """Run ``callback`` on the document's next tick, under its lock. A lock that ends under it
    is one WARNING naming ``what`` (see ``lock_ended``); any other error goes to Bokeh."""
    def run() -> None:
        try:
            callback()
        except Exception:
            if not lock_ended(doc, what):
                raise

    doc.add_next_tick_callback(run)


def lock_ended(doc: Document, what: str) -> bool:
    """After a locked callback of ``doc`` failed: whether its lock had ended under it (Bokeh
    3.10 runs the callback on a worker thread, and Panel 1.10 stopping its server cancels the
    task holding the lock); if so, says so in one WARNING naming ``what``."""
    if not compat.lock_lost(doc):
        return False
    log.warning("%s not done: its document lock ended under it (Bokeh cancelled the "
                "callback, as when the server stops)", what)
    return True
