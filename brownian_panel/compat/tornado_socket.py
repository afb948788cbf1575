"""What Tornado knows of a WebSocket but does not publish (Tornado 6.6.1): bytes queued and
not yet taken by the kernel, per-message compression, and whether a pong arrived.
"""

from __future__ import annotations

from typing import Any

from .feature import Feature, expect


def _probe_write_buffer() -> None:
    import inspect

    from tornado import iostream

    source = inspect.getsource(iostream.BaseIOStream.__init__)
    expect("self._write_buffer = _StreamBuffer()" in source, "BaseIOStream._write_buffer")
    expect(len(iostream._StreamBuffer()) == 0, "_StreamBuffer with a length")


WRITE_BUFFER = Feature(
    "unread-bytes",
    uses="tornado.iostream.IOStream._write_buffer",
    written_for="Tornado 6.6.1",
    stands_in_for="the bytes a client has not yet read (no public counter)",
    fallback="no holding back for a client that stops reading (the server's buffer grows)",
    probe=_probe_write_buffer,
)


def _probe_protocol() -> None:
    import inspect

    from tornado.websocket import WebSocketProtocol13

    source = inspect.getsource(WebSocketProtocol13)
    expect("self._received_pong = True" in source, "WebSocketProtocol13._received_pong")
    expect("self._compressor" in source, "WebSocketProtocol13._compressor")


PROTOCOL_STATE = Feature(
    "websocket-protocol-state",
    uses="tornado.websocket.WebSocketProtocol13._received_pong / ._compressor",
    written_for="Tornado 6.6.1",
    stands_in_for="whether a pong arrived since a ping; whether messages are compressed",
    fallback="no silent-client watch (Bokeh's session expiry only); no direct writes",
    probe=_probe_protocol,
)


def unread_bytes(websocket: Any) -> int:
    """Bytes written to the WebSocket that the kernel has not taken yet (0 when unknown)."""
    if not WRITE_BUFFER.on:
        return 0
    stream = getattr(getattr(websocket, "ws_connection", None), "stream", None)
    return len(getattr(stream, "_write_buffer", None) or ())  # None: closed


def compressing(connection: Any) -> bool:
    """Whether the protocol compresses messages (True when it cannot be told)."""
    if not PROTOCOL_STATE.on:
        return True
    return getattr(connection, "_compressor", None) is not None


def watches_pongs(connection: Any) -> bool:
    """Whether ``pong_received`` can be asked of this protocol object."""
    return PROTOCOL_STATE.on and hasattr(connection, "_received_pong")


def forget_pong(connection: Any) -> None:
    """Clear the protocol's "pong received" flag, before a ping."""
    connection._received_pong = False


def pong_received(connection: Any) -> bool:
    """Whether a pong arrived since ``forget_pong``."""
    return bool(connection._received_pong)
