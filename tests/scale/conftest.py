"""Real components for the scaled-out shared feed (``support.processes``): Debian's
redis-server and nginx on free loopback ports, the producer and panel processes, each stopped
by PID after the test. A missing redis-server or nginx fails the test: these tests must run."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import processes as components

from ..conftest import traceback_free
from ..helpers import free_port


@pytest.fixture
def redis_server():
    server = components.RedisServer()
    try:
        server.start()
    except FileNotFoundError as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_producer(redis_server, tmp_path, request):
    """Starts ``brownian-panel produce`` into the test's Redis (10 points every 20 ms); its
    log is ``start_producer.logs[i]``, checked for tracebacks after the test."""
    processes: list[subprocess.Popen] = []
    logs: list[Path] = []

    def start() -> subprocess.Popen:
        logs.append(tmp_path / f"producer-{len(logs)}.log")
        with open(logs[-1], "wb") as output:
            processes.append(components.start_producer(redis_server.url, output=output))
        return processes[-1]

    start.logs = logs
    yield start
    for process in processes:
        components.stop(process)
    for log in logs:
        traceback_free(request, log.read_text(errors="replace"), log.name)


@pytest.fixture
def producer(start_producer):
    """One producer, running for the test."""
    return start_producer()


@pytest.fixture
def shared_backend(start_process, redis_server):
    """Starts a panel process showing the Redis feed; returns its app URL (``extra``: more
    ``panel serve`` options). ``shared_backend.processes`` maps each port to its process."""
    processes: dict[int, subprocess.Popen] = {}

    def start(*extra: str) -> str:
        base = start_process(lambda port: components.backend_command(port, redis_server.url,
                                                                     *extra))
        processes[int(base.rsplit(":", 1)[1])] = start_process.processes[-1]
        return f"{base}/brownian"
    start.processes = processes
    return start


@dataclass
class Nginx:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/brownian"


@pytest.fixture
def nginx(tmp_path):
    """Starts nginx with ``deploy/brownian.nginx.conf`` in front of backend ports."""
    started: list[subprocess.Popen] = []

    def start(backends: list[int], port: int | None = None, main: str = "") -> Nginx:
        port = port or free_port()
        try:
            started.append(components.start_nginx(tmp_path, port, backends, main))
        except FileNotFoundError as error:
            pytest.fail(str(error))
        return Nginx(port, started[-1])

    yield start
    for process in started:
        components.stop(process)
