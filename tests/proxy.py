"""A loopback TCP proxy for tests: a slow downlink, or a network cut."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading

from .helpers import free_port


class LoopbackProxy:
    """A TCP proxy on a free loopback port to ``target_port``.

    It passes the server's bytes on to the client at ``rate`` bytes/s (None: at once) and the
    client's bytes at once. ``cut(seconds)`` is a network cut: every open connection is reset
    and new ones are refused (nothing listens on the port) for ``seconds``;
    ``cut_mid_message(seconds)`` cuts once the client has the first frame of a Bokeh message
    (its header) and nothing more of it.
    """

    def __init__(self, target_port: int | None = None):
        self.port, self.target_port, self.rate = free_port(), target_port, None
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self._cut_after_header: float | None = None  # seconds of the cut, when armed
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(self._listen())

    def _call(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port,
                                                  reuse_address=True)

    async def _connect(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1",
                                                                         self.target_port)
        except OSError:
            _reset(client_writer)
            return
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(self._pump(client_reader, server_writer, slow=False),
                             self._pump(server_reader, client_writer, slow=True),
                             return_exceptions=True)
        self._writers -= {client_writer, server_writer}

    async def _pump(self, reader, writer, slow: bool) -> None:
        frames = _ServerFrames() if slow else None  # the server's bytes, followed frame by frame
        try:
            while data := await reader.read(16_384 if slow else 65_536):
                header_end = frames.header_end(data) if frames is not None else None
                if header_end is not None and self._cut_after_header is not None:
                    await self._cut_after(writer, data[:header_end])
                    return
                writer.write(data)
                await writer.drain()
                if slow and self.rate:
                    await asyncio.sleep(len(data) / self.rate)
        finally:
            writer.close()

    async def _cut_after(self, writer, data: bytes) -> None:
        """Pass ``data`` on, give the client time to read it, then cut."""
        seconds, self._cut_after_header = self._cut_after_header, None
        writer.write(data)
        await writer.drain()
        await asyncio.sleep(0.5)  # a reset may discard what the client has not read yet
        await self._cut(seconds)

    def cut(self, seconds: float) -> None:
        """Reset every connection and refuse new ones for ``seconds`` (returns at once)."""
        self._call(self._cut(seconds))

    def cut_mid_message(self, seconds: float) -> None:
        """Cut (as ``cut``) once a connection has passed on a Bokeh message's header frame and
        nothing after it: the client holds the start of a message (returns at once)."""
        async def arm() -> None:
            self._cut_after_header = seconds
        self._call(arm())

    @property
    def cut_pending(self) -> bool:
        """Whether ``cut_mid_message`` has not cut yet."""
        return self._cut_after_header is not None

    async def _cut(self, seconds: float) -> None:
        self._server.close()
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()
        self._loop.call_later(seconds, lambda: asyncio.ensure_future(self._listen()))

    def close(self) -> None:
        async def shut_down() -> None:
            # Connections end by their sockets closing (cancelling their tasks would make
            # asyncio log a CancelledError for each).
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                _reset(writer)
            tasks = asyncio.all_tasks() - {asyncio.current_task()}
            await asyncio.wait(tasks, timeout=5) if tasks else None

        self._call(shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close a connection with a TCP reset, as a dropped network looks to both ends."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class _ServerFrames:
    """Follows a server's byte stream (its HTTP upgrade answer, then unmasked WebSocket frames)
    and says where a Bokeh message's header frame ends: a small text frame naming a msgtype."""

    def __init__(self):
        self._buffer = bytearray()  # bytes not yet understood: a frame's start, or the answer
        self._skip = 0  # payload bytes of a large or binary frame still to come
        self._upgraded = False
        self._plain = False  # an HTTP answer other than the upgrade: nothing to follow

    def header_end(self, data: bytes) -> int | None:
        """Follow ``data``: the offset in it just after the first header frame ending in it."""
        if self._plain:
            return None
        start = min(self._skip, len(data))
        self._skip -= start
        base = len(self._buffer)  # where data[start:] begins in the buffer
        self._buffer += data[start:]
        position, found = 0, None
        while True:
            if not self._upgraded:
                end = self._buffer.find(b"\r\n\r\n", position)
                if end < 0:
                    break
                if not self._buffer.startswith(b"HTTP/1.1 101 "):
                    self._plain, self._buffer = True, bytearray()
                    return None
                position, self._upgraded = end + 4, True
                continue
            frame = _frame_head(self._buffer, position)
            if frame is None:
                break
            head, length = frame
            text = self._buffer[position] & 0x0F == 1
            if text and length <= 4096:
                if len(self._buffer) < position + head + length:
                    break
                payload = self._buffer[position + head:position + head + length]
                position += head + length
                if found is None and b'"msgtype"' in payload:
                    found = start + position - base
                continue
            available = len(self._buffer) - position - head
            if available >= length:
                position += head + length
                continue
            self._skip, position = length - available, len(self._buffer)
            break
        del self._buffer[:position]
        return found


def _frame_head(buffer: bytearray, position: int) -> tuple[int, int] | None:
    """(header length, payload length) of the frame at ``position``; None if incomplete."""
    if len(buffer) < position + 2:
        return None
    size, masked = buffer[position + 1] & 0x7F, buffer[position + 1] & 0x80
    head = {126: 4, 127: 10}.get(size, 2)
    if len(buffer) < position + head:
        return None
    if size >= 126:
        size = int.from_bytes(buffer[position + 2:position + head], "big")
    return head + (4 if masked else 0), size
