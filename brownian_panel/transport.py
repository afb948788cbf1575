"""WebSocket tuning for a server session: Nagle's algorithm off, dead clients detected.

Bokeh's server leaves Nagle's algorithm on for its WebSockets, so a small message (a streamed
point, a pong) can wait up to ~40 ms for the previous one's ACK: the ping round trip measured 47 ms
on loopback. ``disable_nagle`` sets ``TCP_NODELAY`` on the session's connections.

A browser that vanishes without closing its connection (machine asleep, network gone) leaves the
server a connection that never answers, so Bokeh never sees the session as unused.
``close_when_silent`` makes Tornado ping each connection and close it when no pong comes back
in time; Bokeh then discards the session once it has been unused for its
``--unused-session-lifetime``.

Both use Bokeh's and Tornado's private session/connection attributes and do nothing where they
are missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bokeh.document import Document


def server_session(document: Document) -> Any:
    """The Bokeh ``ServerSession`` of the document, or None outside a server session."""
    return getattr(document.session_context, "_session", None)


def session_websockets(document: Document) -> Iterator[Any]:
    """The WebSocket handler of each connection of the document's session (none outside one)."""
    for connection in getattr(server_session(document), "_subscribed_connections", ()):
        yield getattr(connection, "_socket", None)


def disable_nagle(document: Document) -> int:
    """Set ``TCP_NODELAY`` on each WebSocket of the document's session; returns how many."""
    count = 0
    for websocket in session_websockets(document):
        if hasattr(websocket, "set_nodelay"):
            websocket.set_nodelay(True)
            count += 1
    return count


def close_when_silent(document: Document, timeout_s: float) -> int:
    """Ping each WebSocket of the document's session every ``timeout_s`` seconds and close it
    when a pong has not come back ``timeout_s`` seconds later; returns how many. A silent
    client is closed within ``2 * timeout_s + 5`` seconds (Tornado then waits 5 s for the
    closing handshake). ``timeout_s=0`` does nothing."""
    count = 0
    for websocket in session_websockets(document):
        connection = getattr(websocket, "ws_connection", None)
        params = getattr(connection, "params", None)
        if timeout_s <= 0 or params is None or not hasattr(connection, "start_pinging"):
            continue
        params.ping_interval = params.ping_timeout = timeout_s
        connection.start_pinging()
        count += 1
    return count
