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
    and new ones are refused (nothing listens on the port) for ``seconds``.
    """

    def __init__(self, target_port: int | None = None):
        self.port, self.target_port, self.rate = free_port(), target_port, None
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
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
        try:
            while data := await reader.read(16_384 if slow else 65_536):
                writer.write(data)
                await writer.drain()
                if slow and self.rate:
                    await asyncio.sleep(len(data) / self.rate)
        finally:
            writer.close()

    def cut(self, seconds: float) -> None:
        """Reset every connection and refuse new ones for ``seconds`` (returns at once)."""
        self._call(self._cut(seconds))

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
