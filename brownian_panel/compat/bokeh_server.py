"""A Bokeh server session's WebSockets and locks (Bokeh 3.9.2 and 3.10.2, Tornado 6.6.1).

Bokeh has no public way from a document to its session's connections, nor to ask whether the
session's lock or a connection's write lock is held. Without them the app writes nothing
itself: every update goes through the document lock (``source.stream``), Nagle stays on and
silent clients wait for Bokeh's own session expiry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from bokeh.document import Document

from .feature import Feature, expect


def _probe_session() -> None:
    from bokeh.server.connection import ServerConnection
    from bokeh.server.session import ServerSession
    from bokeh.server.views.ws import WSHandler

    session = ServerSession("probe", Document(), io_loop=None, token="probe")
    expect(isinstance(getattr(session, "_subscribed_connections", None), set),
           "ServerSession._subscribed_connections, a set")
    _lock_state(session._lock)  # raises on an unknown lock type
    connection = ServerConnection.__new__(ServerConnection)
    ServerConnection.__init__(connection, None, "socket", None, session)  # type: ignore[arg-type]
    expect(getattr(connection, "_socket", None) == "socket", "ServerConnection._socket")
    session.unsubscribe(connection)
    expect(hasattr(WSHandler, "write_message"), "WSHandler (Bokeh's WebSocket handler)")


SESSION_CONNECTIONS = Feature(
    "session-connections",
    uses="BokehSessionContext._session, ServerSession._subscribed_connections / ._lock, "
         "ServerConnection._socket",
    written_for="Bokeh 3.9.2 (session lock: tornado Lock), 3.10.2 (asyncio.Lock)",
    stands_in_for="writing an update to a session's sockets without the document lock",
    fallback="source.stream under the document lock, Nagle on, no silent-client watch",
    probe=_probe_session,
)


def _lock_state(lock: Any) -> bool:
    """Whether ``lock`` is held: asyncio's in public, Tornado's from its semaphore's value."""
    if isinstance(lock, asyncio.Lock):
        return lock.locked()
    value = getattr(getattr(lock, "_block", None), "_value", None)
    if not isinstance(value, int):
        raise LookupError(f"unknown lock type {type(lock).__name__}")
    return value <= 0


def _probe_tornado_lock() -> None:
    from tornado.locks import Lock

    lock = Lock()
    expect(_lock_state(lock) is False, "tornado.locks.Lock()._block._value == 1")


LOCK_STATE = Feature(
    "tornado-lock-state",
    uses="tornado.locks.Lock._block._value",
    written_for="Tornado 6.6.1",
    stands_in_for="asking whether a connection's write lock is held (Tornado has no locked())",
    fallback="source.stream under the document lock",
    probe=_probe_tornado_lock,
)


def _probe_pending_writes() -> None:
    from bokeh.server.session import ServerSession

    session = ServerSession("probe", Document(), io_loop=None, token="probe")
    expect(getattr(session, "_pending_writes", "missing") is None,
           "ServerSession._pending_writes, None outside the document lock")


PENDING_WRITES = Feature(
    "session-pending-writes",
    uses="BokehSessionContext._session, ServerSession._pending_writes",
    written_for="Bokeh 3.9.2, 3.10.2",
    stands_in_for="asking whether Bokeh takes a change to a served document now (its lock is "
                  "held)",
    fallback="a change made from a model's watcher in a served session waits for the "
             "document's next tick",
    probe=_probe_pending_writes,
)


def takes_changes(document: Document) -> bool:
    """Whether a served document's models may change now: the session is not made yet, or its
    document lock is held (Bokeh then sends the change when the lock is released). Panel runs
    some widget watchers outside the lock, where a change raises in Bokeh. False when it cannot
    be told."""
    if not PENDING_WRITES.on:
        return False
    session = _session(document)
    return session is None or session._pending_writes is not None


def lock_lost(document: Document) -> bool:
    """Whether the document lock a locked callback ran under has ended under it: Bokeh 3.10
    runs such a callback on a worker thread, and a cancelled task (Panel 1.10 cancels every
    pending task when its server stops) ends the lock while the thread still runs; a change then
    raises. False when it cannot be told."""
    return PENDING_WRITES.on and not takes_changes(document)


def _session(document: Document) -> Any:
    """The document's ``ServerSession``, or None (not served, or not made yet)."""
    return getattr(getattr(document, "session_context", None), "_session", None)


def server_session(document: Document) -> Any:
    """The Bokeh ``ServerSession`` of the document, or None (no server session, or the fast
    path is off)."""
    return _session(document) if SESSION_CONNECTIONS.on else None


def session_websockets(document: Document) -> Iterator[Any]:
    """The WebSocket handler of each connection of the document's session (none outside one)."""
    session = server_session(document)
    for connection in list(getattr(session, "_subscribed_connections", ())):
        yield connection._socket


def session_locked(document: Document) -> bool:
    """Whether the session's document lock is held (True when it cannot be told)."""
    session = server_session(document)
    if session is None:
        return True
    try:
        return _lock_state(session._lock)
    except LookupError:
        return True


def write_locked(websocket: Any) -> bool:
    """Whether the Bokeh WebSocket handler's write lock is held (True when it cannot be told)."""
    if not LOCK_STATE.on:
        return True
    try:
        return _lock_state(websocket.write_lock)
    except (AttributeError, LookupError):
        return True
