"""The one decision before writing to a page: where and when an update may be written."""

from __future__ import annotations

import enum

from bokeh.document import Document

from ..compat import send_stranded_writes, session_websockets
from .wire import MAX_UNREAD_BYTES, can_write_now, pending_bytes


class Write(enum.Enum):
    """How an update reaches a page now."""

    #: No server session (a notebook, plain Python): set the models; Panel or the notebook
    #: link sends them.
    HERE = "here"
    #: The browser has not read what it was sent: hold back (read again at the next update).
    BEHIND = "behind"
    #: The session is busy (or direct writes are off): under the document lock, after what
    #: holds it.
    LOCKED = "locked"
    #: Straight to the session's sockets, now.
    NOW = "now"


def decide(doc: Document | None, max_unread: int = MAX_UNREAD_BYTES) -> Write:
    """How an update for ``doc`` (None: no server session) is written now."""
    if doc is None:
        return Write.HERE
    sockets = list(session_websockets(doc))  # asked once: this runs for every update
    if pending_bytes(doc, sockets) > max_unread:
        return Write.BEHIND
    if not can_write_now(doc, sockets):
        send_stranded_writes(doc)  # Panel may hold a change with no task left to send it
        return Write.LOCKED
    return Write.NOW
