"""A stream update written straight to a server session's WebSockets.

Design notes: docs/architecture.md, "driver/wire.py".
"""

from __future__ import annotations

import itertools
import json
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
from bokeh.core.serialization import Buffer, Serializer
from bokeh.document import Document
from bokeh.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    ModelChangedEvent,
)
from bokeh.model import Model
from bokeh.models import ColumnDataSource
from bokeh.protocol.messages.patch_doc import patch_doc
from tornado.iostream import StreamClosedError

from .. import compat
from ..compat import append_quietly as append_columns
from ..compat import session_websockets
from .encode import encode_events

_TEXT, _BINARY, _FIN = 0x1, 0x2, 0x80

#: Up to this many values a column crosses the wire as JSON numbers, beyond it as a binary
#: buffer. Each binary column costs two extra WebSocket frames and their headers: one point
#: took 473 bytes as buffers and 229 as JSON, and 22% less server CPU (benchmarks, 20 sessions
#: at 10 Hz); 8-byte binary wins on the wire once the numbers are many.
JSON_LIMIT = 16

#: A session whose client leaves more than this many bytes unread gets no new update or
#: refresh until it catches up: the walk waits for its reader, so the server's buffers stay
#: bounded, and the live stream and the derived views hold back alike (neither starves).
MAX_UNREAD_BYTES = 2 * 2**20

class FramesCache:
    """The frames of the last messages written, by a key that determines their bytes (what
    changed, and the models' ids): viewers whose pages share model ids and who are in step
    write the same message, encoded once (``one_write(document, cache)``)."""

    def __init__(self, size: int = 16):
        self._frames: dict[tuple, bytes] = {}
        self._values: dict[object, object] = {}
        self._size = size
        #: Messages encoded, and written from the cache.
        self.encoded = self.reused = 0
        #: The clock of the update being written (``moment``), None before the first.
        self.now: float | None = None

    def value(self, key: object, compute: Callable[[], Any]) -> Any:
        """``compute()``, once per ``key`` while it is among the last ones asked for: what
        every in-step page computes alike (a decimation, a histogram)."""
        if key in self._values:
            return self._values[key]
        value = compute()
        if len(self._values) >= self._size:
            del self._values[next(iter(self._values))]
        self._values[key] = value
        return value

    def moment(self, update: object | None) -> float:
        """The clock when the first page wrote ``update``, kept in ``now``: the in-step pages
        decide which refreshes ride along at one moment, though a pass over them may straddle
        a refresh's due time (else some pages' messages would differ). ``update`` None (one
        page's own, e.g. whole): the clock now, and ``now`` cleared."""
        if update is None:
            self.now = None
            return time.monotonic()
        self.now = self.value(("moment", update), time.monotonic)
        return self.now

    def frames(self, key: tuple, encode: Callable[[], bytes]) -> bytes:
        frames = self._frames.get(key)
        if frames is not None:
            self.reused += 1
            return frames
        frames = encode()
        self.encoded += 1
        if len(self._frames) >= self._size:
            del self._frames[next(iter(self._frames))]
        self._frames[key] = frames
        return frames


class _Gathering:
    """The events written to ``document`` while a ``one_write`` block is open, in order, the
    models they refer to, and the key of each change (``keyed``: every change had one)."""

    def __init__(self, document: Document):
        self.document = document
        self.events: list[Any] = []
        self.models: set[Model] = set()
        self.keys: list[object] = []
        self.keyed = True
        self.open = True


#: The running context's ``one_write`` block. Callbacks scheduled inside the block run later in
#: a copy of this context, so a closed block must be told apart (``open``).
_GATHERING: ContextVar[_Gathering | None] = ContextVar("gathering", default=None)


def _gathering_for(document: Document) -> _Gathering | None:
    gathering = _GATHERING.get()
    if gathering is not None and gathering.open and gathering.document is document:
        return gathering
    return None


@contextmanager
def one_write(document: Document, cache: FramesCache | None = None) -> Iterator[None]:
    """Gather every change written to ``document`` inside the block and write them at the end
    as ONE message, one socket write per connection: each message costs about as much to encode
    and write as a small update, so an update and the refreshes it makes due share one. With a
    ``cache``, a message whose every change came with a key is encoded once per key."""
    gathering = _Gathering(document)
    token = _GATHERING.set(gathering)
    try:
        yield
    finally:
        gathering.open = False
        _GATHERING.reset(token)
        if gathering.events:
            def encode() -> bytes:
                return message_frames(_event_message(gathering.events, gathering.models))

            if cache is not None and gathering.keyed:
                key = tuple(gathering.keys)
                _write_frames(document, lambda: cache.frames(key, encode))
            else:
                _write_frames(document, encode)


def gathering(document: Document) -> bool:
    """Whether a ``one_write`` block for ``document`` is open in the running context."""
    return _gathering_for(document) is not None


def websocket_frame(payload: bytes, opcode: int = _TEXT) -> bytes:
    """One unmasked, unfragmented WebSocket frame (RFC 6455) as a server sends it."""
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", _FIN | opcode, length)
    elif length <= 0xFFFF:
        head = struct.pack("!BBH", _FIN | opcode, 126, length)
    else:
        head = struct.pack("!BBQ", _FIN | opcode, 127, length)
    return head + payload


def stream_message(source: ColumnDataSource, data: dict[str, Any], rollover: int | None
                   ) -> patch_doc:
    """The PATCH-DOC message ``source.stream(data, rollover)`` would send, for this source only."""
    event = ColumnsStreamedEvent(source.document, source, "data", data, rollover, None)
    return _event_message([event], {source})


def _event_message(events: list[Any], models: set[Model]) -> patch_doc:
    """A PATCH-DOC message of ``events``, encoded knowing only ``models`` (not the document):
    built directly when every value is plain (``encode``), else by Bokeh's serializer."""
    encoded = encode_events(events)
    if encoded is None:
        serializer = Serializer(references=models)
        encoded = {"events": serializer.encode(events)}, serializer.buffers
    content, buffers = encoded
    message = patch_doc(_header(), {}, content)
    message.add_buffers(*buffers)
    return message


_message_ids = itertools.count(1)


def _header() -> dict[str, str]:
    """A PATCH-DOC header with an id unique in this process (``patch_doc.create_header`` reads
    Bokeh's settings for every id: about 7% of an update's server time)."""
    return {"msgid": f"bp{next(_message_ids)}", "msgtype": patch_doc.msgtype}


def _buffer_ref(value: Any) -> Any:
    if isinstance(value, Buffer):
        return value.ref
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


#: Bokeh's message JSON (compact, no NaN, a buffer as its reference) without what its
#: ``serialize_json`` costs each message: a settings read and the circular-reference checks
#: (a message's content is a tree made for it).
_JSON = json.JSONEncoder(separators=(",", ":"), allow_nan=False, check_circular=False,
                         default=_buffer_ref)


def message_frames(message: patch_doc) -> bytes:
    """All WebSocket frames of a Bokeh message, in protocol order, as one byte string."""
    encode = _JSON.encode
    parts = [websocket_frame(encode(message.header).encode()),
             websocket_frame(encode(message.metadata).encode()),
             websocket_frame(encode(message.content).encode())]
    for buffer in message.buffers:
        parts.append(websocket_frame(encode(buffer.ref).encode()))
        parts.append(websocket_frame(buffer.to_bytes(), _BINARY))
    return b"".join(parts)


def pending_bytes(document: Document, sockets: Sequence[Any] | None = None) -> int:
    """Bytes written to the document's WebSockets that the kernel has not yet taken (the most
    of any connection): a client that stops reading makes this grow. ``sockets``: theirs, if
    the caller has them already."""
    sockets = session_websockets(document) if sockets is None else sockets
    return max((compat.unread_bytes(socket) for socket in sockets), default=0)


def can_write_now(document: Document, sockets: Sequence[Any] | None = None) -> bool:
    """True when an update can be written to the document's WebSockets right now
    (``sockets``: theirs, if the caller has them already)."""
    if not compat.direct_writes() or compat.session_locked(document):
        return False  # a locked callback is running, or its writes are still pending
    if compat.panel_holds_writes(document):
        return False
    for socket in session_websockets(document) if sockets is None else sockets:
        connection = getattr(socket, "ws_connection", None)
        if compat.write_locked(socket):
            return False
        if connection is not None and compat.compressing(connection):
            return False
    return True


def write_stream(document: Document, source: ColumnDataSource,
                 data: dict[str, Sequence[float] | np.ndarray], rollover: int | None,
                 key: object = None) -> int:
    """Stream ``data`` into ``source`` and write the update to each open WebSocket of the
    document's session; returns the number of connections written to. ``key``: what
    determines the update's bytes, for a ``FramesCache`` (see ``one_write``).

    Call only on the server's event loop thread, and only when ``can_write_now(document)``.
    """
    append_columns(source, data, rollover)
    event = ColumnsStreamedEvent(source.document, source, "data", data, rollover, None)
    return _send(document, [event], {source}, key)


def write_data(document: Document, source: ColumnDataSource, data: dict[str, Any]) -> int:
    """Replace ``source``'s data (a ``ColumnDataChanged`` event) the way ``write_stream``
    streams: Python-side columns set without notifications, one socket write per connection.
    Same conditions as ``write_stream``."""
    return write_changes(document, data={source: data})


def write_property(document: Document, model: Model, name: str, value: Any) -> int:
    """Set a plain property (e.g. a Div's text) and write the change like ``write_stream``."""
    return write_changes(document, properties=[(model, name, value)])


def write_changes(document: Document,
                  data: dict[ColumnDataSource, dict[str, Any]] | None = None,
                  properties: Sequence[tuple[Model, str, Any]] = (),
                  tails: dict[ColumnDataSource, tuple[int, dict[str, np.ndarray]]] | None = None,
                  key: object = None) -> int:
    """Replace the data of several sources, set plain properties and change the tails of
    sources in ONE message, written like ``write_stream`` (same conditions); returns the number
    of connections written to. ``tails`` maps a source to (n, columns): its last n entries are
    overwritten by the first n of ``columns`` (a ``ColumnsPatched`` event) and the rest are
    appended (``ColumnsStreamed``)."""
    # A model the page does not know (not in the document, or in a part built since and not
    # sent yet) would break the whole message there: its change is left out, its Python side
    # still set below (the page gets it with the model). Then the message is this page's own.
    events, models, unsent = [], set(), []
    for source, columns in (data or {}).items():
        if _known(document, source, unsent):
            events.append(ColumnDataChangedEvent(document, source, "data", data=columns,
                                                 cols=list(columns)))
            models.add(source)
    for source, (replace, columns) in (tails or {}).items():
        if _known(document, source, unsent):
            events += _tail_events(document, source, replace, columns)
            models.add(source)
        _set_tail(source, replace, columns)
    for model, name, value in properties:
        if _known(document, model, unsent):
            events.append(ModelChangedEvent(document, model, name, value))
            models.add(model)
    for source, columns in (data or {}).items():
        compat.replace_columns_quietly(source, columns)
    for model, name, value in properties:
        compat.set_quietly(model, name, value)  # no notification: the change is written below
    return _send(document, events, models, None if unsent else key) if events else 0


def _known(document: Document, model: Model, unsent: list[Model]) -> bool:
    """Whether the page knows ``model``; one in the document not sent yet goes to ``unsent``."""
    if model.document is not document:
        return False
    if compat.sent_to_page(document, model):
        return True
    unsent.append(model)
    return False


def _tail_events(document: Document, source: ColumnDataSource, replace: int,
                 columns: dict[str, np.ndarray]) -> list[Any]:
    events: list[Any] = []
    if replace:
        shown = len(next(iter(source.data.values())))
        patches = {name: [(shown - replace + i, values[i].item()) for i in range(replace)]
                   for name, values in columns.items()}
        events.append(ColumnsPatchedEvent(document, source, "data", patches))
    new = {name: values[replace:] for name, values in columns.items()}
    if len(next(iter(new.values()))) <= JSON_LIMIT:  # a few numbers: cheaper than buffers
        new = {name: values.tolist() for name, values in new.items()}
    if len(next(iter(new.values()))):
        events.append(ColumnsStreamedEvent(document, source, "data", new, None, None))
    return events


def _set_tail(source: ColumnDataSource, replace: int, columns: dict[str, np.ndarray]) -> None:
    """The Python side of a tail change, without notifications."""
    for name, values in columns.items():
        old = np.asarray(compat.column(source, name))
        column = np.concatenate([old[:len(old) - replace], values]).astype(old.dtype)
        compat.set_column_quietly(source, name, column)


def _send(document: Document, events: list[Any], models: set[Model], key: object = None) -> int:
    """Write ``events`` as one message now, or add them (and their ``key``) to the open
    ``one_write`` block's."""
    gathering = _gathering_for(document)
    if gathering is not None:
        gathering.events += events
        gathering.models |= models
        gathering.keys.append(key)
        gathering.keyed = gathering.keyed and key is not None
        return sum(1 for _ in session_websockets(document))
    return _write_message(document, _event_message(events, models))


def _write_message(document: Document, message: patch_doc) -> int:
    """Write ``message``'s frames (encoded once, if any connection is open) to each open
    WebSocket of the document's session; returns the number written to."""
    return _write_frames(document, lambda: message_frames(message))


def _write_frames(document: Document, encode: Callable[[], bytes]) -> int:
    """Write the frames ``encode()`` returns (called once, if any connection is open) to each
    open WebSocket of the document's session; returns the number written to."""
    written, frames = 0, None
    for socket in session_websockets(document):
        connection = getattr(socket, "ws_connection", None)
        if connection is None or connection.is_closing():
            continue
        frames = frames if frames is not None else encode()
        try:
            connection.stream.write(frames)
        except StreamClosedError:
            continue  # the connection's close handler ends the session
        written += 1
    return written
