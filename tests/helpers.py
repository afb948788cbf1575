"""Helpers shared by the tests: polling, free ports, an in-process server, a live client."""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
from bokeh.client import ClientSession, pull_session
from bokeh.events import DocumentReady
from bokeh.models import ColumnDataSource
from tornado.websocket import WebSocketClosedError

from brownian_panel.views.frame import TO_COME_NAMES
from support.bokeh_client import handle_messages_in_a_loop
from support.processes import free_port, port_open  # noqa: F401  (the tests import them here)


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``condition`` until it returns a truthy value without raising ``AssertionError``.

    Returns that value; on timeout re-raises the last ``AssertionError`` or fails with a message.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
            if result:
                return result
            last_error: AssertionError | None = None
        except AssertionError as error:
            last_error = error
        if time.monotonic() > deadline:
            if last_error is not None:
                raise last_error
            raise AssertionError(f"condition {condition!r} still false after {timeout} s")
        time.sleep(interval)


def run_in_session(app, action: Callable[[], Any], timeout: float = 10.0) -> None:
    """Run ``action`` on the server's IOLoop, holding the app's document lock, and wait for it.

    Changing a served app from the test thread would touch its Bokeh document without the lock.
    """
    done = threading.Event()

    def run() -> None:
        try:
            action()
        finally:
            done.set()

    source = app.source if hasattr(app, "source") else app.stream.source  # shared or own
    source.document.add_next_tick_callback(run)
    assert done.wait(timeout), f"the session did not run {action!r} within {timeout} s"


def path_source(document) -> ColumnDataSource:
    """The ColumnDataSource named "path" (the live window: columns x and y) in a document."""
    source = document.get_model_by_name("path")
    assert isinstance(source, ColumnDataSource), f"no path source, found {source!r}"
    return source


def page_whole(document) -> bool:
    """Whether a page's parts built after its first point (``runtime.later``) are there."""
    return all(document.get_model_by_name(name) is None for name in TO_COME_NAMES)


def client_path(client: LiveClient) -> tuple[np.ndarray, np.ndarray]:
    """A snapshot of the client's live path (x, y) as arrays, read on its loop."""
    columns = client.columns()
    return columns["x"], columns["y"]


def client_model(client: LiveClient, kind: type, **match):
    """The one model of ``kind`` in the client's document whose properties equal ``match``."""
    [model] = [m for m in client.session.document.models if isinstance(m, kind)
               and all(getattr(m, name) == value for name, value in match.items())]
    return model


class LiveClient:
    """A ``bokeh.client`` session whose document keeps receiving the server's updates.

    ``bokeh.client`` only applies incoming patches while its IOLoop runs, so the loop runs in a
    thread of its own until ``close()``.
    """

    def __init__(self, url: str, arguments: dict[str, str] | None = None, whole: bool = True):
        """``whole``: report ``document_ready`` as a browser does, and wait until the page's
        parts built after its first point are there."""
        self.session: ClientSession | None = None
        self._connect_error: BaseException | None = None
        connected = threading.Event()

        def run() -> None:
            # Connect and loop in one thread: its IOLoop must not meet another running loop
            # (Playwright's sync API keeps one running in the main thread).
            try:
                self.session = pull_session(url=url, arguments=arguments)
            except BaseException as error:  # reported in the main thread below
                self._connect_error = error
                return
            finally:
                connected.set()
            handle_messages_in_a_loop(self.session._connection)
            self.session._connection.loop_until_closed()
            if not self.session.connected:
                # Each client has an IOLoop of its own; Tornado keeps it (and so the client's
                # document) in a process-wide map until it is closed.
                self.session._connection.io_loop.close(all_fds=True)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert connected.wait(timeout=20), "client did not connect within 20 s"
        if self._connect_error is not None:
            raise self._connect_error
        self.source = path_source(self.session.document)
        if whole:
            self.load()
            self.wait_whole()

    def load(self) -> None:
        """Report ``document_ready`` as BokehJS does: the page's later parts follow
        (``runtime.later``)."""
        self.send_event(DocumentReady())

    def wait_whole(self, timeout: float = 20.0) -> None:
        """Wait until the page's parts built after its first point are there."""
        wait_until(lambda: page_whole(self.session.document), timeout=timeout)

    @property
    def points(self) -> int:
        return len(self.source.data["x"])

    def columns(self) -> dict[str, np.ndarray]:
        """The client's columns as copies, read on its own loop between two messages: its
        thread applies a streamed update column after column."""
        read: concurrent.futures.Future = concurrent.futures.Future()

        def copy() -> None:
            try:
                read.set_result({name: np.array(values)
                                 for name, values in self.source.data.items()})
            except BaseException as error:  # reported in the calling thread
                read.set_exception(error)

        self.session._connection.io_loop.add_callback(copy)
        return read.result(timeout=10)

    def settled(self, points: int, last: float | None = None, timeout: float = 10.0
                ) -> dict[str, np.ndarray]:
        """``columns()`` once they hold ``points`` points (the last at x = ``last``: a window
        that rolls over holds as many before the last update as after)."""
        def holding() -> dict[str, np.ndarray] | None:
            columns = self.columns()
            x = columns["x"]
            done = len(x) == points and (last is None or (len(x) and x[-1] == last))
            return columns if done else None

        return wait_until(holding, timeout=timeout)

    def set_property(self, model, name: str, value) -> None:
        """Change a property of a model of the client document, as a browser patch would."""
        self.session._connection.io_loop.add_callback(setattr, model, name, value)

    def send_event(self, event) -> None:
        """Send a Bokeh event to the server, as BokehJS sends a browser event."""
        self.session._connection.io_loop.add_callback(
            self.session.document.callbacks.send_event, event)

    def send_raw(self, *frames: str | bytes) -> None:
        """Write WebSocket frames as they are (text for str, binary for bytes) on the client's
        connection, bypassing bokeh.client's protocol and validation."""
        websocket = self.session._connection._socket._socket

        async def write() -> None:
            for frame in frames:
                try:
                    await websocket.write_message(frame, binary=isinstance(frame, bytes))
                except WebSocketClosedError:
                    return  # the server closed on it: the expected answer to some frames

        self.session._connection.io_loop.add_callback(write)

    def vanish(self) -> None:
        """Stop reading and answering, keeping the connection open, like a browser whose
        machine went to sleep."""
        loop = self.session._connection.io_loop
        loop.add_callback(loop.stop)
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "client loop did not stop"

    @property
    def connected(self) -> bool:
        return self.session.connected

    def close(self) -> None:
        self.session._connection.closing = True
        self.session._connection.io_loop.add_callback(self.session.close)
        self._thread.join(timeout=10)
        if self._thread.is_alive():  # where it hangs, for the failure report
            print("".join(traceback.format_stack(sys._current_frames()[self._thread.ident])))
        assert not self._thread.is_alive(), "client loop did not stop"

    def __enter__(self) -> LiveClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
