"""A headless page opener that behaves like BokehJS, without a Document: many in one asyncio loop.

`open_page` GETs the app page (the server makes the session and runs the app), takes the
session token out of the HTML, opens the page's WebSocket, waits for the ACK, pulls the
document, reports ``document_ready``, then reads messages until the first update that streams
points to a source (the first point drawn, for a browser). With ``follow_s`` it keeps reading
for that long and counts every streaming update. Times are wall-clock epoch seconds.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bokeh.document import Document
from bokeh.document.events import MessageSentEvent
from bokeh.events import DocumentReady
from bokeh.protocol import Protocol
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect

TOKEN = re.compile(r'"token":\s*"([^"]+)"')


def _frames(msgtype: str, *args) -> list[str]:
    message = Protocol().create(msgtype, *args)
    return [message.header_json, message.metadata_json, message.content_json]


def _document_ready_frames() -> list[str]:
    return _frames("PATCH-DOC", [MessageSentEvent(Document(), "bokeh_event", DocumentReady())])


@dataclass
class Opened:
    """What one page saw: when it asked, when the page, the document and the first point came,
    and when each later streaming update arrived (if followed)."""

    get_at: float
    page_at: float = 0.0
    document_at: float = 0.0
    first_point_at: float = 0.0
    updates: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def first_point_s(self) -> float:
        return self.first_point_at - self.get_at if self.first_point_at else float("inf")


async def _read_message(connection) -> tuple[dict, str] | None:
    header_text = await connection.read_message()
    if header_text is None:
        return None
    header = json.loads(header_text)
    await connection.read_message()  # metadata
    content = await connection.read_message()
    for _ in range(2 * header.get("num_buffers", 0)):
        await connection.read_message()
    return header, content


def _streams(header: dict, content: str) -> bool:
    return header["msgtype"] == "PATCH-DOC" and '"ColumnsStreamed"' in content


async def open_page(url: str, follow_s: float = 0.0, stop_at: float | None = None,
                    on_first_point: Callable[[], None] | None = None) -> Opened:
    """Open ``url`` (http://host:port/app?args) as a browser would; see the module's docstring.
    Reading stops ``follow_s`` after the first point, or at ``stop_at`` (epoch s) if given;
    ``on_first_point()`` is called as the first point arrives."""
    opened = Opened(get_at=time.time())
    try:
        response = await AsyncHTTPClient().fetch(url, request_timeout=120)
        opened.page_at = time.time()
        token = TOKEN.search(response.body.decode()).group(1)
        ws_url = "ws" + url.split("?")[0][len("http"):] + "/ws"
        connection = await websocket_connect(ws_url, subprotocols=["bokeh", token],
                                             connect_timeout=120)
        connection.protocol.stream.set_nodelay(True)  # as browsers do
    except Exception as error:  # reported per page, the others go on
        opened.error = f"{type(error).__name__}: {error}"
        return opened
    try:
        while (message := await _read_message(connection)) is not None:
            header, content = message
            now = time.time()
            if header["msgtype"] == "ACK":
                for frame in _frames("PULL-DOC-REQ"):
                    await connection.write_message(frame)
            elif header["msgtype"] == "PULL-DOC-REPLY":
                opened.document_at = now
                for frame in _document_ready_frames():
                    await connection.write_message(frame)
            elif _streams(header, content):
                if not opened.first_point_at:
                    opened.first_point_at = now
                    if on_first_point is not None:
                        on_first_point()
                    if stop_at is None:
                        stop_at = now + follow_s
                else:
                    opened.updates.append(now)
            if opened.first_point_at and now >= stop_at:
                break
    finally:
        connection.close()
    return opened
