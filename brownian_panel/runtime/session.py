"""Which Bokeh document a component is being built for, and the server loop it lives on.

Bokeh 3.10 builds a session's document on a worker thread when the app is a function
(``pn.serve``), and on the server's loop for a script (``panel serve``): loop-bound work
(timers, tasks) is handed to the session's server loop with ``on_server_loop``.
"""

from __future__ import annotations

from collections.abc import Callable

import panel as pn
from bokeh.document import Document
from tornado.ioloop import IOLoop

from .. import compat
from .ticker import hand_to_loop


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
        doc.add_next_tick_callback(change)
