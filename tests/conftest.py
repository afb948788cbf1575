"""Fixtures shared by all test folders."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import panel as pn
import pytest
from bokeh.settings import settings as bokeh_settings
from tornado.ioloop import IOLoop

from brownian_panel import BrownianApp, compat
from brownian_panel.export.route import ROUTES as EXPORT_ROUTES
from brownian_panel.runtime.collector import restore_collector
from brownian_panel.runtime.session import server_loop
from brownian_panel.views.page import TITLE
from brownian_panel.views.shared_page import SharedApp
from support.processes import stop as stop_process

from .helpers import free_port, port_open, wait_until

# Serve Bokeh and Panel assets from the server, as `panel serve` does, set once before any
# component is made: set per server fixture, pages still got cdn.holoviz.org stylesheets after
# unit tests had made components. (Some runs still get a few; browser tests abort them.)
bokeh_settings.resources.set_value("server")

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class ServedApp:
    """A running in-process server of the app and every ``BrownianApp`` it has built."""

    url: str
    apps: list[BrownianApp] = field(default_factory=list)
    #: Keyword arguments of the next sessions' ``BrownianApp``.
    app_params: dict = field(default_factory=dict)
    #: The server's IOLoop, known once a session has been made.
    loop: IOLoop | None = None

    def on_server_loop(self, action: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``action`` on the server's IOLoop (outside any session) and return its result."""
        results: list = []
        self.loop.add_callback(lambda: results.append(action()))
        wait_until(lambda: results, timeout)
        return results[0]

    def app(self, index: int = -1, timeout: float = 10.0) -> BrownianApp:
        wait_until(lambda: len(self.apps) > (index if index >= 0 else -index - 1), timeout)
        return self.apps[index]


def _serve(app_class: type) -> Iterator[ServedApp]:
    """Serve ``app_class`` (one per session) on a free loopback port; stop the server after."""
    port = free_port()
    served = ServedApp(url=f"http://127.0.0.1:{port}/brownian")

    def new_session_app():
        served.loop = server_loop(pn.state.curdoc)  # built on a worker thread in Bokeh 3.10
        app = app_class(**served.app_params)
        served.apps.append(app)
        return app

    server = pn.serve(
        {"brownian": new_session_app}, port=port, address="127.0.0.1",
        websocket_origin=[f"127.0.0.1:{port}"], show=False, threaded=True, start=True,
        title=TITLE, check_unused_sessions_milliseconds=500,
        unused_session_lifetime_milliseconds=3000, extra_patterns=list(EXPORT_ROUTES),
    )
    wait_until(lambda: port_open(port))
    try:
        yield served
    finally:
        # Let the pages the test closed leave first: stopped with their messages in flight,
        # Bokeh 3.10's server logs a cancelled write's traceback (shutdown, not what is tested).
        with contextlib.suppress(AssertionError):  # a test's client may stay connected
            wait_until(lambda: not any(_connected(app) for app in served.apps), timeout=5,
                       interval=0.1)
        server.stop()
        server.join(timeout=10)
        restore_collector()  # its first page tuned the collector: the next tests start as Python


def _connected(app) -> bool:
    """Whether a connection of ``app``'s session is still open."""
    document = app.stream.source.document
    return document is not None and any(True for _ in compat.session_websockets(document))


@pytest.fixture
def served_app():
    """The app served by Panel's server on a free loopback port, stopped after the test.

    Sessions without a connection are destroyed after 3 to 3.5 s (Bokeh's default is up to
    32 s), so tests can observe the release. Much shorter would destroy a page's session before
    its browser opened the WebSocket, and the WebSocket would then make a second session.
    """
    yield from _serve(BrownianApp)


@pytest.fixture
def served_shared():
    """The shared-feed page (``SharedApp``) served like ``served_app``; the server's loop has
    its own feed, so each test starts a fresh one."""
    yield from _serve(SharedApp)


@pytest.fixture
def fresh_features(monkeypatch):
    """``compat``'s features probed anew in the test (after the environment it sets through the
    returned monkeypatch) and again after it."""
    for feature in compat.FEATURES:
        feature.reset()
    yield monkeypatch
    monkeypatch.undo()
    for feature in compat.FEATURES:
        feature.reset()


@pytest.fixture
def log_records(caplog):
    """Captured log records of the brownian_panel loggers at WARNING and above."""
    caplog.set_level(logging.WARNING, logger="brownian_panel")
    return caplog


#: What a logged traceback starts with.
TRACEBACK = "Traceback (most recent call last)"

#: Loggers that do not propagate to the root logger (Bokeh's and Panel's own handlers).
_OWN_HANDLER_LOGGERS = ("", "bokeh", "panel")


class _Tracebacks(logging.Handler):
    """Keeps every record that carries a traceback."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or TRACEBACK in str(record.msg):
            self.records.append(record)


def traceback_free(request, text: str, where: str) -> None:
    """Fail the test if ``text`` (a server's log) holds a traceback, unless it is marked
    ``logs_traceback``."""
    if TRACEBACK in text and not request.node.get_closest_marker("logs_traceback"):
        start = text.index(TRACEBACK)
        pytest.fail(f"a traceback in {where}:\n{text[max(0, start - 300):start + 3000]}",
                    pytrace=False)


@pytest.fixture(autouse=True)
def no_traceback_logged(request):
    """Every test fails when a traceback is logged in this process (an in-process server, a
    task whose exception was never retrieved), unless it is marked ``logs_traceback``."""
    handler = _Tracebacks()
    for name in _OWN_HANDLER_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    yield
    for name in _OWN_HANDLER_LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    text = "\n".join(formatter.format(record) for record in handler.records[:3])
    traceback_free(request, text, "this process's log")


@pytest.fixture
def start_process(tmp_path, request):
    """Starts a server command on a free loopback port; stops it (by PID) after the test.

    Call it with a function of the port that returns the command; it returns the base URL once
    the port accepts connections. Each server's output goes to a log file whose last lines are
    printed after the test (pytest shows them when the test failed).
    """
    processes: list[subprocess.Popen] = []
    logs: list[Path] = []

    def start(command_for_port, timeout: float = 60.0) -> str:
        port = free_port()
        log = tmp_path / f"server-{len(logs)}-{port}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(command_for_port(port), stdout=output,
                                       stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        processes.append(process)
        logs.append(log)
        wait_until(lambda: process.poll() is None and port_open(port), timeout=timeout)
        return f"http://127.0.0.1:{port}"

    start.processes = processes
    yield start
    for process in processes:
        stop_process(process)
    for log in logs:
        text = log.read_text(errors="replace")
        lines = text.splitlines()
        print(f"--- last lines of {log.name} ({len(lines)} lines) ---", *lines[-40:], sep="\n")
        traceback_free(request, text, log.name)
