"""`python -m benchmarks.shared`: the shared feed beside per-session mode, and through Redis
and nginx.

    python -m benchmarks.shared [--viewers 20,100] [--seconds 10] [--rounds 2]
    python -m benchmarks.shared --overload 300,600
    python -m benchmarks.shared --against DIR [--viewers 100] [--rounds 3] [--lead-per-viewer 0.5]
    python -m benchmarks.shared --through-nginx 1,2 [--viewers 100]

1. Server CPU per viewer-update at 10 Hz, one point an update, round after round side by side:
   per-session mode (`python -m brownian_panel`: every viewer its own run), the in-process shared
   feed (`benchmarks/apps/shared_feed.py`) and one panel process following the Redis feed (its
   producer and Redis measured apart). Viewers are headless sessions in load-generator
   processes of 20 (`benchmarks.loadgen`).
2. Through Redis and nginx (a producer, two panel processes, nginx with the deploy config):
   producer → viewer latency (the producer's clock in each Redis entry against the viewer's
   clock at arrival; one machine), a control change → seen by every viewer, Redis killed and
   restarted → updates flowing again.
3. ``--overload``: more viewers than the machine serves at 10 Hz, on the in-process feed.
4. ``--against DIR``: this checkout's in-process shared feed beside another checkout's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from brownian_panel.cli import CHECK_UNUSED_SESSIONS_MS
from brownian_panel.feed.redis_keys import STREAM
from support import processes as components

from .harness import (
    UNUSED_SESSION_LIFETIME_MS,
    VARIANTS,
    LoadClient,
    Variant,
    in_checkout,
    running,
    start_load,
    tree_cpu_seconds,
)
from .machine import machine
from .stats import distribution

PERIOD_MS = 100

HERE = Path(__file__).resolve().parent.parent


def _shared_variant(tree: Path) -> Variant:
    """The in-process shared feed of the checkout at ``tree``."""
    return Variant("shared_in_process", lambda port: [
        sys.executable, "-m", "panel", "serve",
        str(tree / "benchmarks" / "apps" / "shared_feed.py"),
        "--port", str(port), "--address", "127.0.0.1"], "shared_feed")


SHARED = _shared_variant(HERE)


def _load(server, viewers: int, seconds: float, pids: dict[str, int], steps: bool = False,
          lead_per_viewer: float = 0.15) -> tuple[dict, list[dict]]:
    """Drive ``server`` with ``viewers`` for ``seconds``: CPU seconds of each of ``pids`` over
    the recording window (from ``lead_per_viewer`` s a viewer on: their pages built), and the
    load generators' reports."""
    start, workers = start_load(server, viewers, PERIOD_MS, seconds, steps=steps,
                                lead_per_session=lead_per_viewer)
    time.sleep(max(0.0, start - time.time()))
    before = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    began = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - began
    cpu = {name: tree_cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    reports = [json.loads(worker.communicate(timeout=300)[0].strip().splitlines()[-1])
               for worker in workers]
    return {"wall": wall, "cpu": cpu}, reports


def cpu_side_by_side(viewers: int, seconds: float, rounds: int) -> dict:
    results: dict[str, list[dict]] = {"per_session": [], "shared_in_process": [],
                                      "shared_redis_backend": []}
    for _ in range(rounds):
        for name, variant in (("per_session", VARIANTS["brownian_panel"]),
                              ("shared_in_process", SHARED)):
            with running(variant) as server:
                measured, reports = _load(server, viewers, seconds,
                                          {"server": server.process.pid})
            delivered = sum(r["delivered"] for r in reports)
            results[name].append({"cpu_ms_per_viewer_update": round(
                1000 * measured["cpu"]["server"] / max(delivered, 1), 3),
                "delivered_over_due": round(delivered / (viewers * seconds * 10), 3)})
        redis = components.RedisServer()
        redis.start()
        producer = components.start_producer(redis.url, period=PERIOD_MS, batch=1)
        try:
            backend = Variant("shared_redis", lambda port, url=redis.url:
                              components.backend_command(port, url), "brownian")
            with running(backend) as server:
                measured, reports = _load(server, viewers, seconds, {
                    "server": server.process.pid, "producer": producer.pid,
                    "redis": redis.process.pid})
        finally:
            components.stop(producer)
            redis.stop()
        delivered = sum(r["delivered"] for r in reports)
        cpu = measured["cpu"]
        results["shared_redis_backend"].append({
            "cpu_ms_per_viewer_update": round(1000 * cpu["server"] / max(delivered, 1), 3),
            "delivered_over_due": round(delivered / (viewers * seconds * 10), 3),
            "producer_cpu_percent": round(100 * cpu["producer"] / measured["wall"], 1),
            "redis_cpu_percent": round(100 * cpu["redis"] / measured["wall"], 1)})
    summary = {name: {"rounds": runs, "median_cpu_ms_per_viewer_update": statistics.median(
        run["cpu_ms_per_viewer_update"] for run in runs)} for name, runs in results.items()}
    shared = summary["shared_in_process"]["median_cpu_ms_per_viewer_update"]
    summary["per_session_over_shared"] = round(
        summary["per_session"]["median_cpu_ms_per_viewer_update"] / shared, 2)
    return {"viewers": viewers, "period_ms": PERIOD_MS, "seconds": seconds, **summary}


def shared_against(against: Path, viewers: int, seconds: float, rounds: int,
                   lead_per_viewer: float = 0.15) -> dict:
    """The in-process shared feed of this checkout beside the one at ``against``, round after
    round: CPU per viewer-update (with a longer ``lead_per_viewer``, once every page is built:
    the steady state)."""
    trees = {"this": HERE, "against": against.resolve()}
    results: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(rounds):
        for name, tree in trees.items():
            with in_checkout(tree), running(_shared_variant(tree)) as server:
                measured, reports = _load(server, viewers, seconds,
                                          {"server": server.process.pid},
                                          lead_per_viewer=lead_per_viewer)
            delivered = sum(r["delivered"] for r in reports)
            results[name].append(round(1000 * measured["cpu"]["server"] / max(delivered, 1), 3))
    medians = {name: statistics.median(runs) for name, runs in results.items()}
    return {"viewers": viewers, "lead_s": round(5 + lead_per_viewer * viewers, 1),
            "cpu_ms_per_viewer_update": results, "medians": medians,
            "this_over_against": round(medians["this"] / medians["against"], 2)}


def overload(viewers: int, seconds: float) -> dict:
    """The in-process shared feed with ``viewers`` (beyond what the machine serves at 10 Hz):
    points each viewer received against the points drawn (a viewer behind gets them batched),
    the spread between viewers (none may starve), update intervals, and server memory."""
    from .harness import rss_bytes

    with running(SHARED) as server:
        rss_before = rss_bytes(server.process.pid)
        measured, reports = _load(server, viewers, seconds, {"server": server.process.pid})
        rss_after = rss_bytes(server.process.pid)
    points = np.array([p for report in reports for p in report["points_per_session"]])
    drawn = seconds * 1000 / PERIOD_MS
    intervals = np.array([i for report in reports for i in report["intervals_ms"]])
    delivered = sum(r["delivered"] for r in reports)
    return {
        "viewers": viewers, "seconds": seconds,
        "server_cpu_percent": round(100 * measured["cpu"]["server"] / measured["wall"], 1),
        "updates_over_due": round(delivered / (viewers * drawn), 3),
        "points_over_drawn": {"min": round(float(points.min()) / drawn, 3),
                              "median": round(float(np.median(points)) / drawn, 3),
                              "max": round(float(points.max()) / drawn, 3)},
        "interval_ms": distribution(intervals.tolist()),
        "server_rss_mib": [round(rss_before / 2**20, 1), round(rss_after / 2**20, 1)],
    }


def through_nginx(viewers: int, seconds: float, control_trials: int = 20,
                  backends: int = 2) -> dict:
    """A producer, ``backends`` panel processes and nginx: latency, control propagation, Redis
    restart."""
    redis = components.RedisServer()
    redis.start()
    processes = [components.start_producer(redis.url, period=PERIOD_MS, batch=1)]
    directory = Path(tempfile.mkdtemp(prefix="brownian-nginx-"))
    try:
        proxy_port = components.free_port()
        ports = []
        for _ in range(backends):
            port = components.free_port()
            processes.append(subprocess.Popen(
                components.backend_command(port, redis.url, "--use-xheaders",
                                           "--allow-websocket-origin",
                                           f"127.0.0.1:{proxy_port}"),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=components.REPO_ROOT))
            components.wait_for_port(processes[-1], port, timeout=60)
            ports.append(port)
        processes.append(components.start_nginx(directory, proxy_port, ports))
        url = f"http://127.0.0.1:{proxy_port}/brownian"
        pids = {f"backend_{index}": process.pid
                for index, process in enumerate(processes[1:-1], start=1)}
        pids.update(nginx=processes[-1].pid, producer=processes[0].pid,
                    redis=redis.process.pid)
        measured, reports = _load(SimpleNamespace(url=url), viewers, seconds, pids, steps=True)
        produced = _produced(redis.url)
        arrivals = [(produced[int(step)], applied, read) for report in reports
                    for step, applied, read in report["arrival_steps"] if int(step) in produced]
        delivered = sum(r["delivered"] for r in reports)
        result = {
            "viewers": viewers, "backends": backends, "seconds": seconds,
            "delivered_over_due": round(delivered / (viewers * seconds * 10), 3),
            # Until the viewer had applied the update, and until it had read its first frame
            # (without the load clients' own decoding and queueing behind other sessions).
            "latency_ms": distribution([1000 * (applied - t) for t, applied, _ in arrivals]),
            "latency_to_read_ms": distribution([1000 * (read - t) for t, _, read in arrivals]),
            "cpu_percent": {name: round(100 * cpu / measured["wall"], 1)
                            for name, cpu in measured["cpu"].items()},
        }
        _settle()
        raw_arrivals = _raw_load(url.replace("http://", "ws://") + "/ws", viewers, seconds)
        produced = _produced(redis.url)
        result["raw_viewers_latency_ms"] = distribution([
            1000 * (read - produced[int(step)]) for step, read in raw_arrivals
            if int(step) in produced])
        result["raw_viewers_delivered_over_due"] = round(
            len(raw_arrivals) / (viewers * seconds * 10), 3)
        _settle()
        result["control_ms"] = _control_latency(url, control_trials)
        result["redis_restart_s"] = _redis_restart(url, redis)
        return result
    finally:
        for process in reversed(processes):
            components.stop(process)
        redis.stop()


def _produced(redis_url: str) -> dict[int, float]:
    """The producer's clock (epoch s) for each entry's first step, from the Redis stream."""
    import redis as redis_py

    return {int(fields[b"first"]): float(fields[b"t"]) for _entry_id, fields
            in redis_py.Redis.from_url(redis_url).xrange(STREAM, count=100_000)}


def _settle() -> None:
    """Wait until the sessions of a finished load are gone: destroyed after the unused-session
    lifetime, then Panel's full gc.collect 5 s after the last (panel.io.document.GC_DEBOUNCE)
    holds a backend's loop for 0.3-0.4 s once (seen as outliers when measured through)."""
    time.sleep((UNUSED_SESSION_LIFETIME_MS + 2 * CHECK_UNUSED_SESSIONS_MS) / 1000 + 5 + 3)


def _raw_load(ws_url: str, viewers: int, seconds: float, processes: int = 2) -> list:
    """``viewers`` raw viewers (benchmarks.rawclient) in ``processes`` processes for
    ``seconds``, once all are connected (a session costs its backend ~70 ms to make):
    every (step, read time) they recorded."""
    start = time.time() + 3.0 + 0.15 * viewers
    workers = [subprocess.Popen(
        [sys.executable, "-m", "benchmarks.rawclient", ws_url, str(count), str(start),
         str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=components.REPO_ROOT)
        for count in [viewers // processes + (i < viewers % processes)
                      for i in range(processes)]]
    arrivals = []
    for worker in workers:
        arrivals += json.loads(worker.communicate(timeout=120)[0].strip().splitlines()[-1])[
            "arrival_steps"]
    return arrivals


def _slider(client: LoadClient):
    from bokeh.models import Slider

    return next(m for m in client.session.document.models
                if isinstance(m, Slider) and m.title == "Variance")


def _control_latency(url: str, trials: int, viewers: int = 10) -> dict:
    """One viewer moves the variance slider; the time until every other viewer's slider
    shows the value (the worst viewer of each trial)."""
    clients = [LoadClient(url, {}) for _ in range(viewers + 1)]
    try:
        sender, watchers = clients[0], clients[1:]
        seen: dict[int, dict[float, float]] = {i: {} for i in range(len(watchers))}
        lock = threading.Lock()
        for index, client in enumerate(watchers):
            slider = _slider(client)

            def record(attr, old, new, index=index):
                with lock:
                    seen[index].setdefault(round(new, 1), time.time())
            slider.on_change("value", record)
        worst = []
        for trial in range(trials):
            value = round(0.2 + 0.1 * (trial % 15), 1)
            if trial and value == round(0.2 + 0.1 * ((trial - 1) % 15), 1):
                continue
            for index in seen:
                seen[index].pop(value, None)
            slider = _slider(sender)
            sent = time.time()
            sender.session._connection.io_loop.add_callback(setattr, slider, "value", value)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                with lock:
                    if all(value in seen[index] for index in seen):
                        break
                time.sleep(0.005)
            with lock:
                times = [seen[index].get(value) for index in seen]
            if None not in times:
                worst.append(1000 * (max(times) - sent))
            time.sleep(0.2)
        return {**distribution(worst), "viewers": viewers}
    finally:
        for client in clients:
            client.close()


def _redis_restart(url: str, redis: components.RedisServer) -> float | None:
    """Kill Redis (-9), restart it a second later on the same port: seconds from the restart
    (the process started) to a viewer receiving updates again."""
    client = LoadClient(url, {})
    try:
        time.sleep(1.0)
        redis.kill()
        time.sleep(1.0)
        stalled = client.last_x
        began = time.monotonic()
        redis.start()
        while client.last_x <= stalled:
            if time.monotonic() - began > 10:
                return None
            time.sleep(0.005)
        return round(time.monotonic() - began, 3)
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", default="20,100")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--overload", default="", help="viewer counts, e.g. 300,600 (alone)")
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout: its in-process shared feed beside this one's "
                             "(alone)")
    parser.add_argument("--lead-per-viewer", type=float, default=0.15,
                        help="with --against: seconds a viewer before recording (0.5: every "
                             "page built, the steady state)")
    parser.add_argument("--through-nginx", default="",
                        help="backend counts, e.g. 1,2: only the Redis + nginx measurement "
                             "(--viewers: one count)")
    options = parser.parse_args()
    if options.through_nginx:
        print(json.dumps({"machine": machine(), "through_redis_and_nginx": [
            through_nginx(int(options.viewers.split(",")[-1]), options.seconds,
                          backends=int(count)) for count in options.through_nginx.split(",")]},
            indent=1))
        return
    if options.against:
        print(json.dumps({"machine": machine(), "against": [
            shared_against(options.against, int(count), options.seconds, options.rounds,
                           options.lead_per_viewer)
            for count in options.viewers.split(",")]}, indent=1))
        return
    if options.overload:
        print(json.dumps({"machine": machine(), "overload": [
            overload(int(count), options.seconds) for count in options.overload.split(",")]},
            indent=1))
        return
    result = {"machine": machine(), "cpu": [
        cpu_side_by_side(int(count), options.seconds, options.rounds)
        for count in options.viewers.split(",")]}
    result["through_redis_and_nginx"] = through_nginx(100, options.seconds)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
