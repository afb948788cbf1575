"""Real components for the scaled-out shared feed: Debian's redis-server on a free loopback port,
the producer and panel processes, each stopped by PID after the test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field

import pytest

from ..conftest import PYTHON, REPO_ROOT
from ..helpers import free_port, port_open, wait_until


def _binary(name: str) -> str:
    path = shutil.which(name) or f"/usr/sbin/{name}"
    if not os.path.exists(path):
        pytest.fail(f"{name} not found: install Debian's package (apt-get install -y {name})")
    return path


@dataclass
class RedisServer:
    """A redis-server without persistence on a loopback port: ``kill()`` is ``kill -9``."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [_binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.process.poll() is None and port_open(self.port), timeout=20)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def producer(redis_server):
    """``brownian-panel produce`` into the test's Redis: 10 points every 20 ms."""
    process = subprocess.Popen(
        [PYTHON, "-m", "brownian_panel", "produce", "--redis-url", redis_server.url,
         "--period", "20", "--batch", "10", "--window", "5000", "--seed", "7"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def shared_backend(start_process, redis_server):
    """Starts a panel process showing the Redis feed; returns its app URL."""
    def start() -> str:
        base = start_process(lambda port: [
            PYTHON, "-m", "brownian_panel", "--port", str(port), "--shared",
            "--redis-url", redis_server.url])
        return f"{base}/brownian"
    return start
