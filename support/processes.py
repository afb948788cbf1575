"""Real components of the scaled-out shared feed, on loopback ports, stopped by PID: Debian's
redis-server (no persistence), nginx with ``deploy/brownian.nginx.conf``, the producer and panel
processes. Used by ``benchmarks.shared`` and the tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    """Whether something listens on ``port`` of the loopback interface."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def binary(name: str) -> str:
    """The path of a Debian program (``redis-server``, ``nginx``); FileNotFoundError if absent."""
    path = shutil.which(name) or f"/usr/sbin/{name}"
    if not os.path.exists(path):
        raise FileNotFoundError(f"{name} not found: install Debian's package "
                                f"(apt-get install -y {name})")
    return path


def wait_for_port(process: subprocess.Popen, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} not open within {timeout} s")
        time.sleep(0.02)


def stop(process: subprocess.Popen) -> None:
    """Terminate by PID, kill if it does not end within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class RedisServer:
    """redis-server without persistence on a loopback port: ``kill()`` is ``kill -9``."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.process, self.port)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def start_producer(redis_url: str, period: int = 20, batch: int = 10, window: int = 5000,
                   seed: int = 7, output=subprocess.DEVNULL) -> subprocess.Popen:
    """``brownian-panel produce`` into ``redis_url``; its log goes to ``output`` (a file)."""
    return subprocess.Popen(
        [sys.executable, "-m", "brownian_panel", "produce", "--redis-url", redis_url,
         "--period", str(period), "--batch", str(batch), "--window", str(window),
         "--seed", str(seed)],
        stdout=output, stderr=subprocess.STDOUT, cwd=REPO_ROOT)


def backend_command(port: int, redis_url: str, *extra: str) -> list[str]:
    """A panel process showing the Redis feed on ``port``."""
    return [sys.executable, "-m", "brownian_panel", "--port", str(port), "--shared",
            "--redis-url", redis_url, *extra]


def nginx_config(directory: Path, port: int, backends: list[int], main: str = "") -> Path:
    """nginx.conf in ``directory``: the deploy config listening on ``port`` in front of
    ``backends``, with its pid, log and temporary files in ``directory`` (``main``: more
    directives for the main context)."""
    config = (REPO_ROOT / "deploy" / "brownian.nginx.conf").read_text()
    servers = "".join(f"    server 127.0.0.1:{backend} max_fails=1 fail_timeout=10s;\n"
                      for backend in backends)
    lines = [line for line in config.splitlines(keepends=True)
             if not line.strip().startswith("server 127.0.0.1:")]
    config = "".join(lines).replace("    hash $brownian_key consistent;\n",
                                    "    hash $brownian_key consistent;\n" + servers)
    (directory / "brownian.conf").write_text(config.replace("listen 8080;",
                                                            f"listen 127.0.0.1:{port};"))
    user = "user root;\n" if os.geteuid() == 0 else ""
    temporary = "".join(f"  {kind}_temp_path {directory}/{kind};\n"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    path = directory / "nginx.conf"
    path.write_text(f"{user}{main}worker_processes 1;\npid {directory}/nginx.pid;\n"
                    f"error_log {directory}/error.log;\nevents {{ worker_connections 4096; }}\n"
                    f"http {{\n  access_log off;\n{temporary}"
                    f"  include {directory}/brownian.conf;\n}}\n")
    return path


def start_nginx(directory: Path, port: int, backends: list[int], main: str = ""
                ) -> subprocess.Popen:
    """nginx in the foreground with ``nginx_config``; returns once it listens."""
    config = nginx_config(directory, port, backends, main)
    process = subprocess.Popen([binary("nginx"), "-p", str(directory), "-c", str(config),
                                "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(process, port)
    return process
