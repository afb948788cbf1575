"""Time to first page and server CPU per session-update of `brownian-panel`, on loopback.

    python -m benchmarks.core [--sessions 20] [--seconds 20] [--period 500]

Starts `python -m brownian_panel` on a free port, times the first page, opens ``--sessions``
headless ``bokeh.client`` sessions (each applies the updates it receives), measures the server
process's CPU time over ``--seconds``, and stops everything. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from bokeh.client import pull_session

import brownian_panel  # noqa: F401  (registers Panel's and our Bokeh models for client documents)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_page_seconds(url: str, started: float, timeout: float = 60.0) -> float:
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"no page from {url} within {timeout} s")


def open_session(url: str, arguments: dict[str, str]):
    ready = threading.Event()
    holder = {}

    def run():
        holder["session"] = pull_session(url=url, arguments=arguments)
        ready.set()
        holder["session"]._connection.loop_until_closed()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(30)
    return holder["session"], thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--period", type=int, default=500)
    options = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}/brownian"
    started = time.monotonic()
    server = subprocess.Popen([sys.executable, "-m", "brownian_panel", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first_page = first_page_seconds(url, started)
        sessions = [open_session(url, {"period": str(options.period)})
                    for _ in range(options.sessions)]
        time.sleep(2.0)  # let every session tick once before measuring
        cpu_before, wall_before = cpu_seconds(server.pid), time.monotonic()
        time.sleep(options.seconds)
        cpu = cpu_seconds(server.pid) - cpu_before
        wall = time.monotonic() - wall_before
        updates = options.sessions * wall * 1000 / options.period
        for session, thread in sessions:
            session._connection.io_loop.add_callback(session.close)
            thread.join(10)
    finally:
        server.terminate()
        server.wait(10)
    print(json.dumps({
        "machine": {"cores": os.cpu_count(),
                    "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                                     / 2**30, 1)},
        "first_page_s": round(first_page, 3), "sessions": options.sessions,
        "period_ms": options.period, "seconds": round(wall, 1),
        "server_cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "server_cpu_ms_per_session_update": round(1000 * cpu / updates, 3),
    }))


if __name__ == "__main__":
    main()
