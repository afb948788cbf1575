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
def start_producer(redis_server):
    """Starts ``brownian-panel produce`` into the test's Redis (10 points every 20 ms); every
    producer started is stopped by PID after the test."""
    processes: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [PYTHON, "-m", "brownian_panel", "produce", "--redis-url", redis_server.url,
             "--period", "20", "--batch", "10", "--window", "5000", "--seed", "7"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
        base = start_process(lambda port: [
            PYTHON, "-m", "brownian_panel", "--port", str(port), "--shared",
            "--redis-url", redis_server.url, *extra])
        processes[int(base.rsplit(":", 1)[1])] = start_process.processes[-1]
        return f"{base}/brownian"
    start.processes = processes
    return start


@dataclass
class Nginx:
    """nginx running ``deploy/brownian.nginx.conf`` on a loopback port, for given backends."""

    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/brownian"


@pytest.fixture
def nginx(tmp_path):
    """Starts nginx with the deploy config in front of backend ports; stopped by PID after."""
    started: list[subprocess.Popen] = []

    def start(backends: list[int], port: int | None = None) -> Nginx:
        port = port or free_port()
        config = (REPO_ROOT / "deploy" / "brownian.nginx.conf").read_text()
        servers = "".join(f"    server 127.0.0.1:{backend} max_fails=1 fail_timeout=10s;\n"
                          for backend in backends)
        lines = [line for line in config.splitlines(keepends=True)
                 if not line.strip().startswith("server 127.0.0.1:")]
        config = "".join(lines).replace("    hash $brownian_key consistent;\n",
                                        "    hash $brownian_key consistent;\n" + servers)
        config = config.replace("listen 8080;", f"listen 127.0.0.1:{port};")
        (tmp_path / "brownian.conf").write_text(config)
        user = "user root;\n" if os.geteuid() == 0 else ""
        (tmp_path / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\n"
            f"error_log {tmp_path}/error.log;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n  access_log off;\n"
            + "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"  include {tmp_path}/brownian.conf;\n}}\n")
        process = subprocess.Popen([_binary("nginx"), "-p", str(tmp_path), "-c",
                                    str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        wait_until(lambda: process.poll() is None and port_open(port), timeout=20)
        return Nginx(port, process)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)
