"""Raw Bokeh-protocol viewers of the shared page: many in one asyncio loop, no Document.

    python -m benchmarks.rawclient WS_URL COUNT START_EPOCH_S SECONDS [SESSION_ID]

Each viewer opens the page's WebSocket with a fresh session token (the server makes the
session), reports ``document_ready`` as BokehJS does (so the server treats it as a loaded
page; with SESSION_ID every viewer's token names that one session, so all join one session
and its one document), then reads every message: for each update of the shared path
(``SharedApp.SOURCE_ID``) it records the last step and the wall-clock time at which the
message's first frame was read.
Prints one JSON line: ``arrival_steps`` [[step, read epoch s], ...] within the window and
``delivered``. Much lighter than ``bokeh.client`` sessions (no document, no patching), like the
issue's prototype load; the latency it sees is closer to what a browser on another host sees.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from bokeh.document import Document
from bokeh.document.events import MessageSentEvent
from bokeh.events import DocumentReady
from bokeh.protocol import Protocol
from bokeh.util.token import generate_jwt_token, generate_session_id
from tornado.websocket import websocket_connect

from brownian_panel.views.shared_page import SOURCE_ID


def _document_ready_frames() -> list[str]:
    event = MessageSentEvent(Document(), "bokeh_event", DocumentReady())
    message = Protocol().create("PATCH-DOC", [event])
    return [message.header_json, message.metadata_json, message.content_json]


def _last_step(content: str) -> float | None:
    """The last x of a ``ColumnsStreamed`` of the shared path in a PATCH-DOC content."""
    if SOURCE_ID not in content:
        return None
    for event in json.loads(content).get("events", []):
        if event.get("kind") == "ColumnsStreamed" and event["model"]["id"] == SOURCE_ID:
            data = event["data"]
            entries = dict(data["entries"]) if isinstance(data, dict) else data
            x = entries.get("x")
            if isinstance(x, list) and x:
                return float(x[-1])
    return None


async def _viewer(ws_url: str, start: float, stop: float, arrivals: list,
                  session_id: str | None = None) -> None:
    token = generate_jwt_token(session_id or generate_session_id())
    connection = await websocket_connect(ws_url, subprotocols=["bokeh", token])
    connection.protocol.stream.set_nodelay(True)  # as browsers do
    ready = _document_ready_frames()
    try:
        while True:
            header_text = await connection.read_message()
            read_at = time.time()
            if header_text is None or read_at > stop:
                return
            header = json.loads(header_text)
            await connection.read_message()  # metadata
            content = await connection.read_message()
            for _ in range(2 * header.get("num_buffers", 0)):
                await connection.read_message()
            if header["msgtype"] == "ACK":
                for frame in ready:
                    await connection.write_message(frame)
            elif header["msgtype"] == "PATCH-DOC" and read_at >= start:
                step = _last_step(content)
                if step is not None:
                    arrivals.append((step, read_at))
    finally:
        connection.close()


async def _main(ws_url: str, count: int, start: float, seconds: float,
                session_id: str | None = None) -> dict:
    arrivals: list = []
    viewers = [asyncio.ensure_future(_viewer(ws_url, start, start + seconds, arrivals,
                                             session_id))
               for _ in range(count)]
    await asyncio.sleep(max(0.0, start + seconds - time.time()))
    await asyncio.sleep(1.0)  # every viewer reads past the window once more
    for viewer in viewers:
        viewer.cancel()
    await asyncio.gather(*viewers, return_exceptions=True)
    return {"delivered": len(arrivals), "arrival_steps": arrivals}


def main() -> None:
    ws_url, count, start, seconds = sys.argv[1:5]
    session_id = sys.argv[5] if len(sys.argv) > 5 else None
    print(json.dumps(asyncio.run(_main(ws_url, int(count), float(start), float(seconds),
                                       session_id))))


if __name__ == "__main__":
    main()
