"""`python -m benchmarks.fanout`: the shared feed's fan-out on one process beside the bare-write
floor, with raw Bokeh-protocol viewers.

    python -m benchmarks.fanout [--viewers 100,1000] [--seconds 10] [--processes 4]
                                [--one-session]

For each viewer count, side by side:

1. **Ours**: Redis, a producer (one point every 100 ms) and one panel process following the feed
   (`brownian-panel --shared --redis-url`); ``--viewers`` raw viewers (`benchmarks.rawclient`,
   many per asyncio process, no Document) connect first, then record for ``--seconds``. The
   panel process's CPU per viewer-update over that window, the share of the updates due that
   arrived, and the latency from the producer's clock in each Redis entry to the viewer's read
   of the message's first frame (one machine, one clock).
2. **Plain Bokeh**: `bokeh serve benchmarks/baselines/plain_bokeh_shared.py`, one walk per
   process streamed into every session's source as Bokeh's docs share data between sessions
   (``doc.add_next_tick_callback`` per session), read by as many raw viewers: Bokeh's own
   per-session path, with a live plot only (no History, no statistics).
3. **Floor**: a bare Tornado WebSocket server (`serve-bare`) writing every 100 ms one message of
   the same size (``--bytes``, default the size of one shared update) to every connected client,
   read by as many bare clients: its CPU per viewer-update.

With ``--one-session``, also ours with every viewer joined to one Bokeh session (the raw
viewers' tokens name one session id): one document for all, so one update, one set of
refreshes and one encoding, written to each socket. Not a mode of the app (it would share zoom
and the write gate between viewers): a measure of what per-viewer documents cost.

Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

from bokeh.util.token import generate_session_id

from support import processes as components

from .harness import BASELINES, cpu_seconds
from .machine import machine, stack
from .shared import _produced
from .stats import distribution

PERIOD_MS = 100

#: Seconds of warm-up per viewer before recording (making a viewer's session took 0.2-0.3 s
#: of the backend's CPU here; recording while sessions are still made measures that instead).
SESSION_S = 0.4

#: Seconds of warm-up per viewer joining one session (no page is made).
JOIN_S = 0.01

#: Seconds of warm-up per viewer for plain Bokeh's sessions (a figure and a source each).
BASELINE_SESSION_S = 0.05

#: Bytes of one shared update (three text frames' payloads, one point): measured on the wire.
UPDATE_BYTES = 230


def _split(viewers: int, processes: int) -> list[int]:
    return [viewers // processes + (i < viewers % processes) for i in range(processes)]


def _clients(module_args: list[list[str]]) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, cwd=components.REPO_ROOT)
            for args in module_args]


def _arrivals(workers: list[subprocess.Popen]) -> list:
    """The [step, read epoch s] pairs the raw viewers' processes recorded."""
    return [arrival for worker in workers for arrival in json.loads(
        worker.communicate(timeout=600)[0].strip().splitlines()[-1])["arrival_steps"]]


def _viewers_result(viewers: int, seconds: float, cpu: float, arrivals: list,
                    latencies_ms: list[float]) -> dict:
    """A server's figures over the window: ``cpu`` seconds, the raw viewers' ``arrivals``."""
    due = viewers * seconds * 1000 / PERIOD_MS
    return {"viewers": viewers, "seconds": seconds,
            "cpu_ms_per_viewer_update": round(1000 * cpu / due, 4),
            "server_cpu_percent": round(100 * cpu / seconds, 1),
            "delivered_over_due": round(len(arrivals) / due, 4),
            "latency_ms": distribution(latencies_ms)}


def _cpu_over(pid: int, start: float, seconds: float) -> float:
    time.sleep(max(0.0, start - time.time()))
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - before


def ours(viewers: int, seconds: float, processes: int, one_session: bool = False) -> dict:
    """One panel process following the Redis feed, ``viewers`` raw viewers (``one_session``:
    all joined to one Bokeh session, i.e. one document, whose update each socket is written)."""
    redis = components.RedisServer()
    redis.start()
    started = [components.start_producer(redis.url, period=PERIOD_MS, batch=1)]
    try:
        port = components.free_port()
        started.append(subprocess.Popen(components.backend_command(port, redis.url),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        cwd=components.REPO_ROOT))
        components.wait_for_port(started[-1], port, timeout=60)
        ws_url = f"ws://127.0.0.1:{port}/brownian/ws"
        # Every viewer connected (a session costs the backend 0.2-0.3 s to make) before recording.
        start = time.time() + 3.0 + (JOIN_S if one_session else SESSION_S) * viewers
        session = [generate_session_id()] if one_session else []
        workers = _clients([["benchmarks.rawclient", ws_url, str(count), str(start),
                             str(seconds), *session] for count in _split(viewers, processes)])
        cpu = _cpu_over(started[-1].pid, start, seconds)
        arrivals = _arrivals(workers)
        produced = _produced(redis.url)
        return _viewers_result(viewers, seconds, cpu, arrivals,
                               [1000 * (read - produced[int(step)]) for step, read in arrivals
                                if int(step) in produced])
    finally:
        for process in reversed(started):
            components.stop(process)
        redis.stop()


def plain_bokeh(viewers: int, seconds: float, processes: int) -> dict:
    """Plain Bokeh's shared path (`baselines/plain_bokeh_shared.py`: one walk per process,
    each session's source streamed under its document lock), ``viewers`` raw viewers."""
    port = components.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bokeh", "serve", str(BASELINES / "plain_bokeh_shared.py"),
         "--port", str(port), "--address", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=components.REPO_ROOT)
    try:
        components.wait_for_port(server, port, timeout=60)
        start = time.time() + 3.0 + BASELINE_SESSION_S * viewers
        workers = _clients([["benchmarks.rawclient", f"ws://127.0.0.1:{port}/plain_bokeh_shared/ws",
                             str(count), str(start), str(seconds)]
                            for count in _split(viewers, processes)])
        cpu = _cpu_over(server.pid, start, seconds)
        arrivals = _arrivals(workers)
        # Its x is the production time (epoch ms).
        return _viewers_result(viewers, seconds, cpu, arrivals,
                               [1000 * read - step for step, read in arrivals])
    finally:
        components.stop(server)


def floor(viewers: int, seconds: float, processes: int, size: int) -> dict:
    """The bare Tornado server writing ``size`` bytes every period to ``viewers`` clients."""
    port = components.free_port()
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.fanout", "serve-bare",
                               str(port), str(size)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=components.REPO_ROOT)
    try:
        components.wait_for_port(server, port, timeout=60)
        start = time.time() + 3.0 + 0.005 * viewers
        workers = _clients([["benchmarks.fanout", "bare-clients", f"ws://127.0.0.1:{port}/",
                             str(count), str(start), str(seconds)]
                            for count in _split(viewers, processes)])
        cpu = _cpu_over(server.pid, start, seconds)
        delivered = sum(int(worker.communicate(timeout=600)[0].strip().splitlines()[-1])
                        for worker in workers)
        due = viewers * seconds * 1000 / PERIOD_MS
        return {"viewers": viewers, "bytes": size,
                "cpu_ms_per_viewer_update": round(1000 * cpu / due, 4),
                "delivered_over_due": round(delivered / due, 4)}
    finally:
        components.stop(server)


def serve_bare(port: int, size: int) -> None:
    """A Tornado WebSocket server writing ``size`` bytes every period to every client."""
    from tornado.ioloop import IOLoop, PeriodicCallback
    from tornado.web import Application
    from tornado.websocket import WebSocketHandler

    clients: set = set()
    message = "x" * size

    class Handler(WebSocketHandler):
        def open(self):
            self.set_nodelay(True)
            clients.add(self)

        def on_close(self):
            clients.discard(self)

    def send():
        for client in list(clients):
            client.write_message(message)

    Application([(r"/", Handler)]).listen(port, address="127.0.0.1")
    PeriodicCallback(send, PERIOD_MS).start()
    IOLoop.current().start()


async def _bare_clients(url: str, count: int, start: float, seconds: float) -> int:
    from tornado.websocket import websocket_connect

    received = [0]

    async def one():
        connection = await websocket_connect(url)
        while (await connection.read_message()) is not None:
            if start <= time.time() < start + seconds:
                received[0] += 1
            elif time.time() >= start + seconds:
                break
        connection.close()

    tasks = [asyncio.ensure_future(one()) for _ in range(count)]
    await asyncio.sleep(max(0.0, start + seconds - time.time()) + 0.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return received[0]


def main() -> None:
    if sys.argv[1:2] == ["serve-bare"]:
        serve_bare(int(sys.argv[2]), int(sys.argv[3]))
        return
    if sys.argv[1:2] == ["bare-clients"]:
        url, count, start, seconds = sys.argv[2:6]
        print(asyncio.run(_bare_clients(url, int(count), float(start), float(seconds))))
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fanout",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", default="100,1000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=4, help="viewer processes")
    parser.add_argument("--bytes", type=int, default=UPDATE_BYTES)
    parser.add_argument("--one-session", action="store_true",
                        help="also ours with every viewer joined to one session (one document)")
    options = parser.parse_args()
    result = {"machine": machine() | stack(), "period_ms": PERIOD_MS, "runs": []}
    for count in [int(v) for v in options.viewers.split(",")]:
        result["runs"].append({
            "ours": ours(count, options.seconds, options.processes),
            "plain_bokeh": plain_bokeh(count, options.seconds, options.processes),
            **({"ours_one_session": ours(count, options.seconds, options.processes, True)}
               if options.one_session else {}),
            "floor": floor(count, options.seconds, options.processes, options.bytes)})
        run = result["runs"][-1]
        for name in [name for name in run if name != "floor"]:
            run[f"{name}_over_floor"] = round(run[name]["cpu_ms_per_viewer_update"]
                                              / run["floor"]["cpu_ms_per_viewer_update"], 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
