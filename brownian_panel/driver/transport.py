"""WebSocket tuning for a server session: Nagle's algorithm off, dead clients detected.

Design notes: docs/architecture.md, "driver/transport.py".
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from typing import Any

from bokeh.document import Document

from .. import compat
from ..compat import session_websockets

log = logging.getLogger(__name__)


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
    when the client has sent nothing (no pong, no message) in the ``timeout_s`` seconds after a
    ping; returns how many are watched. A silent client is closed within ``2 * timeout_s + 5``
    seconds (Tornado then waits 5 s for the closing handshake). ``timeout_s=0`` does nothing.
    Call on the server's event loop."""
    count = 0
    for websocket in session_websockets(document):
        connection = getattr(websocket, "ws_connection", None)
        if timeout_s <= 0 or not compat.watches_pongs(connection):
            continue
        # The handler keeps the task (asyncio holds only a weak reference to it).
        websocket.brownian_panel_silence_watch = asyncio.ensure_future(
            _close_when_silent(connection, timeout_s))
        count += 1
    return count


async def _close_when_silent(connection: Any, timeout_s: float) -> None:
    while not connection.is_closing():
        compat.forget_pong(connection)
        pinged = time.monotonic()
        try:
            connection.write_ping(b"")
        except Exception:  # closed meanwhile: Tornado ends the connection
            return
        await asyncio.sleep(timeout_s)
        if connection.is_closing():
            return
        quiet = _seconds_since_client_sent(connection)
        heard = quiet is not None and quiet < time.monotonic() - pinged
        if not (compat.pong_received(connection) or heard):
            log.info("closing a WebSocket whose client sent nothing for %.1f s", timeout_s)
            connection.close(reason="ping timed out")
            return


def _seconds_since_client_sent(connection: Any) -> float | None:
    """Seconds since the connection's socket last received data from the client (Linux's
    ``TCP_INFO``), or None where that is not known."""
    sock = getattr(getattr(connection, "stream", None), "socket", None)
    option = getattr(socket, "TCP_INFO", None)
    if sock is None or option is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, _TCP_INFO_SIZE)
    except OSError:
        return None
    if len(info) < _LAST_DATA_RECV.size + _LAST_DATA_RECV_OFFSET:
        return None
    return _LAST_DATA_RECV.unpack_from(info, _LAST_DATA_RECV_OFFSET)[0] / 1000


#: ``struct tcp_info`` (linux/tcp.h): 8 bytes of u8 fields, then u32 fields; ``tcpi_last_data_recv``
#: (milliseconds since data last arrived) is the 12th of them.
_TCP_INFO_SIZE = 104
_LAST_DATA_RECV_OFFSET = 8 + 11 * 4
_LAST_DATA_RECV = struct.Struct("=I")
