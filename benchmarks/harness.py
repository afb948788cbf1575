"""Servers and headless load for the benchmarks: start a variant on loopback, drive it with
`bokeh.client` sessions, measure server CPU, bytes on the wire and memory, stop everything."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bokeh.client import ClientSession, pull_session
from bokeh.events import DocumentReady
from bokeh.models import ColumnDataSource

import brownian_panel.views  # noqa: F401  (registers Panel's and our Bokeh models for client documents)
from brownian_panel.cli import CHECK_UNUSED_SESSIONS_MS
from support.bokeh_client import handle_messages_in_a_loop
from support.processes import free_port, port_open

from .stats import median, percentile

#: Sessions end ~6 s after their clients close (no reconnection is measured here).
UNUSED_SESSION_LIFETIME_MS = 5_000

BASELINES = Path(__file__).with_name("baselines")


@dataclass(frozen=True)
class Variant:
    """A server to measure: a name, how to start it on a port, and its app path."""

    name: str
    command: Callable[[int], list[str]]
    path: str


def _panel_serve(script: Path) -> Callable[[int], list[str]]:
    return lambda port: [sys.executable, "-m", "panel", "serve", str(script), "--port", str(port),
                         "--address", "127.0.0.1"]


VARIANTS = {
    "brownian_panel": Variant(
        "brownian_panel",
        lambda port: [sys.executable, "-m", "brownian_panel", "--port", str(port)], "brownian"),
    "panel_docs_idiom": Variant(
        "panel_docs_idiom", _panel_serve(BASELINES / "panel_idiom.py"), "panel_idiom"),
    "plain_bokeh": Variant(
        "plain_bokeh",
        lambda port: [sys.executable, "-m", "bokeh", "serve", str(BASELINES / "plain_bokeh.py"),
                      "--port", str(port), "--address", "127.0.0.1"], "plain_bokeh"),
}


#: Our app with a server timestamp on every point, served as `brownian-panel` serves its app.
TIMESTAMPED = Variant(
    "brownian_panel",
    lambda port: [sys.executable, "-m", "panel", "serve",
                  str(Path(__file__).with_name("apps") / "timestamped.py"),
                  "--port", str(port), "--address", "127.0.0.1",
                  "--check-unused-sessions", str(CHECK_UNUSED_SESSIONS_MS),
                  "--unused-session-lifetime", str(UNUSED_SESSION_LIFETIME_MS)],
    "timestamped")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """``cpu_seconds`` of a process and its living children (nginx's workers)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            child_pids = [int(child) for child in children.read().split()]
    except OSError:
        child_pids = []
    return cpu_seconds(pid) + sum(tree_cpu_seconds(child) for child in child_pids)


def cpu_during(pid: int, seconds: float) -> tuple[float, float]:
    """Sleep ``seconds``; return the process's CPU seconds and the wall seconds that passed."""
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return cpu_seconds(pid) - cpu0, time.monotonic() - wall0


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Server:
    variant: Variant
    process: subprocess.Popen
    url: str
    ready_s: float


@contextlib.contextmanager
def in_checkout(tree: Path) -> Iterator[None]:
    """Inside, ``tree`` is the working directory and PYTHONPATH, so servers started there run
    the app and package of that checkout; both are restored after."""
    saved_cwd, saved_path = os.getcwd(), os.environ.get("PYTHONPATH")
    os.chdir(tree)
    os.environ["PYTHONPATH"] = str(tree)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        if saved_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved_path


@contextlib.contextmanager
def running(variant: Variant, first_page: bool = False, timeout: float = 60.0
            ) -> Iterator[Server]:
    """The variant's server on a free loopback port; always stopped.

    Readiness is a TCP connect, so no session exists before the measurement starts (a page
    request makes a session that ticks, then is destroyed with a gc.collect, mid-measurement).
    With ``first_page``, the time from process start to the first app page is measured instead.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/{variant.path}"
    started = time.monotonic()
    process = subprocess.Popen(variant.command(port), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while not (port_open(port) and (not first_page or _page_served(url))):
            if process.poll() is not None:
                raise RuntimeError(f"{variant.name} exited with {process.returncode}")
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{variant.name} not ready within {timeout} s")
            time.sleep(0.05)
        yield Server(variant, process, url, time.monotonic() - started)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _page_served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


class LoadClient:
    """One headless session that applies every update and counts the bytes it receives.

    Like BokehJS, it pulls the document and then reports ``document_ready``, so the server
    treats it as a loaded page (Panel's onload callbacks run, e.g. TCP_NODELAY is set).
    """

    def __init__(self, url: str, arguments: dict[str, str]):
        self.received_bytes = 0
        #: Monotonic arrival time of each streamed update, while ``record_arrivals`` is on.
        self.arrivals: list[float] = []
        #: (last step, epoch seconds when applied, epoch seconds when its message's first
        #: frame was read) at each arrival, while ``record_arrivals`` is on.
        self.arrival_steps: list[tuple[float, float, float]] = []
        self._read_at = 0.0  # when the first frame of the message being handled was read
        self.record_arrivals = False
        self.session: ClientSession | None = None
        ready = threading.Event()

        def run() -> None:
            try:
                self.session = pull_session(url=url, arguments=arguments)
                socket_ = self.session._connection._socket
                read = socket_.read_message

                async def counting_read(*args, **kwargs):
                    fragment = await read(*args, **kwargs)
                    if fragment is not None:
                        self.received_bytes += len(fragment)
                        if isinstance(fragment, str) and fragment.startswith('{"msgid"'):
                            self._read_at = time.time()  # a message's header frame
                    return fragment

                socket_.read_message = counting_read
                # Browsers send without Nagle's algorithm; Tornado's client does not by default,
                # so a small message (a control) could wait ~40 ms for an ACK.
                stream = getattr(getattr(socket_, "protocol", None), "stream", None)
                if stream is not None:
                    stream.set_nodelay(True)
                self.session.document.callbacks.send_event(DocumentReady())
            finally:
                ready.set()
            handle_messages_in_a_loop(self.session._connection)
            self.session._connection.loop_until_closed()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(30) or self.session is None:
            raise RuntimeError(f"no session from {url}")
        # Ours is named "path" (beside "history"); the baselines have one unnamed x, y source.
        sources = [m for m in self.session.document.models
                   if isinstance(m, ColumnDataSource) and set(m.data) == {"x", "y"}]
        self.source = self.session.document.get_model_by_name("path") or sources[0]
        self.session.document.on_change(self._record_arrival)

    def _record_arrival(self, event) -> None:
        # One update of the live path (a message may also stream the History plot's tail).
        if (self.record_arrivals and type(event).__name__ == "ColumnsStreamedEvent"
                and event.model is self.source):
            self.arrivals.append(time.monotonic())
            self.arrival_steps.append((self.last_x, time.time(), self._read_at))

    @property
    def last_x(self) -> float:
        x = self.source.data["x"]
        return float(x[-1]) if len(x) else 0.0

    def close(self) -> None:
        self.session._connection.closing = True
        self.session._connection.io_loop.add_callback(self.session.close)
        self._thread.join(10)


@contextlib.contextmanager
def sessions(url: str, count: int, arguments: dict[str, str]) -> Iterator[list[LoadClient]]:
    clients = [LoadClient(url, arguments) for _ in range(count)]
    try:
        yield clients
    finally:
        for client in clients:
            client.close()


def measure_streaming(server: Server, count: int, period_ms: int, seconds: float,
                      batch: int = 1, warmup_s: float | None = None) -> dict:
    """Server CPU per session-update and bytes per update with ``count`` sessions, measured
    ``warmup_s`` after they opened (default: once every session has ticked)."""
    arguments = {"period": str(period_ms)}
    if server.variant.name == "brownian_panel":
        arguments["batch"] = str(batch)
    with sessions(server.url, count, arguments) as clients:
        time.sleep(warmup_s if warmup_s is not None else max(1.0, 3 * period_ms / 1000))
        x0 = [c.last_x for c in clients]
        bytes0 = [c.received_bytes for c in clients]
        cpu, wall = cpu_during(server.process.pid, seconds)
        points = sum(c.last_x - x for c, x in zip(clients, x0, strict=True))
        received = sum(c.received_bytes - b for c, b in zip(clients, bytes0, strict=True))
    updates = points / batch
    expected = count * wall * 1000 / period_ms
    return {
        "sessions": count, "period_ms": period_ms, "batch": batch, "seconds": round(wall, 2),
        "updates": int(updates), "updates_expected": int(expected),
        "server_cpu_percent": round(100 * cpu / wall, 1),
        "cpu_ms_per_session_update": round(1000 * cpu / max(updates, 1), 3),
        "bytes_per_update": round(received / max(updates, 1), 1),
    }


def start_load(server: Server, count: int, period_ms: int, seconds: float,
               per_process: int = 20, steps: bool = False, lead_per_session: float = 0.15
               ) -> tuple[float, list[subprocess.Popen]]:
    """``count`` headless sessions in load-generator processes of ``per_process``, recording
    for ``seconds`` from the returned start time (epoch s, ``lead_per_session`` seconds a
    session from now, plus 5: every page built by then); each prints a JSON report (with
    ``steps``, each arrival's step and time too)."""
    start = time.time() + 5.0 + lead_per_session * count
    workers = [subprocess.Popen(
        [sys.executable, "-m", "benchmarks.loadgen", server.url, str(min(per_process, left)),
         str(period_ms), str(start), str(seconds), *(["steps"] if steps else [])],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=Path(__file__).resolve().parent.parent)
        for left in range(count, 0, -per_process)]
    return start, workers


def measure_capacity(server: Server, count: int, period_ms: int, seconds: float,
                     per_process: int = 20) -> dict:
    """``count`` sessions at once, their clients spread over processes of ``per_process``:
    server CPU, updates delivered over updates due, and the jitter of the interval between a
    session's updates (|interval - period| at the clients; an upper bound, the clients share
    the 2 cores with the server)."""
    start, workers = start_load(server, count, period_ms, seconds, per_process)
    time.sleep(max(0.0, start - time.time()))
    cpu, wall = cpu_during(server.process.pid, seconds)
    reports = [json.loads(worker.communicate(timeout=120)[0].strip().splitlines()[-1])
               for worker in workers]
    jitter = np.abs(np.array([i for r in reports for i in r["intervals_ms"]]) - period_ms)
    delivered = sum(r["delivered"] for r in reports)
    return {"sessions": count, "period_ms": period_ms, "seconds": round(wall, 1),
            "client_processes": len(workers),
            "server_cpu_percent": round(100 * cpu / wall, 1),
            "delivered_over_due": round(delivered / (count * seconds * 1000 / period_ms), 3),
            "jitter_ms_p50": round(float(np.percentile(jitter, 50)), 1) if jitter.size else None,
            "jitter_ms_p99": round(float(np.percentile(jitter, 99)), 1) if jitter.size else None}


def measure_idle_memory(server: Server, count: int) -> dict:
    """RSS added per open, paused session (brownian_panel only: `?paused=true`)."""
    time.sleep(1.0)
    before = rss_bytes(server.process.pid)
    with sessions(server.url, count, {"paused": "true"}):
        time.sleep(2.0)
        during = rss_bytes(server.process.pid)
    return {"sessions": count, "rss_before_mib": round(before / 2**20, 1),
            "rss_with_sessions_mib": round(during / 2**20, 1),
            "rss_per_idle_session_kib": round((during - before) / count / 1024, 1)}


def measure_churn(server: Server, total: int, wave: int, settle_s: float = 8.0,
                  period_ms: int = 100) -> dict:
    """RSS before and after ``total`` sessions opened and closed in waves of ``wave``, and the
    server's CPU once they are gone (brownian_panel ends sessions ~6 s after their close)."""
    with sessions(server.url, 1, {"period": str(period_ms)}):  # first-use allocations
        time.sleep(1.0)
    time.sleep(settle_s)
    before = rss_bytes(server.process.pid)
    for _ in range(total // wave):
        with sessions(server.url, wave, {"period": str(period_ms)}):
            time.sleep(1.0)
    time.sleep(settle_s)
    cpu, wall = cpu_during(server.process.pid, 3.0)
    idle_cpu = cpu / wall
    after = rss_bytes(server.process.pid)
    return {"sessions": total, "wave": wave, "rss_before_mib": round(before / 2**20, 1),
            "rss_after_mib": round(after / 2**20, 1),
            "rss_change_percent": round(100 * (after - before) / before, 1),
            "idle_cpu_percent_after": round(100 * idle_cpu, 1)}


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"]


@contextlib.contextmanager
def chromium_page(url: str):
    """A page of headless Chromium (Debian's) opened at ``url``; the browser is always closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            yield page
        finally:
            browser.close()


def measure_ping_rtt(server: Server, pings: int = 12, timeout_s: float = 40.0) -> dict:
    """Round trips of the page's ping (browser -> server -> browser) in headless Chromium."""
    if not os.path.exists(CHROMIUM):
        return {"pings": 0, "note": f"{CHROMIUM} not found"}
    rtts: list[float] = []
    with chromium_page(server.url + "?period=100") as page:
        last, deadline = None, time.monotonic() + timeout_s
        while len(rtts) < pings and time.monotonic() < deadline:
            label = page.query_selector(".pong")
            pong = label.get_attribute("data-pong") if label else None
            if pong is not None and pong != last:
                last = pong
                rtts.append(float(label.get_attribute("data-rtt")))
            time.sleep(0.05)
    return {"pings": len(rtts), "rtt_ms_median": round(median(rtts), 1),
            "rtt_ms_max": round(max(rtts), 1) if rtts else float("nan")}


_FRAME_COUNTER = """(seconds) => new Promise((resolve) => {
  const times = [];
  const start = performance.now();
  const frame = (now) => {
    times.push(now);
    if (now - start < seconds * 1000) requestAnimationFrame(frame);
    else resolve(times);
  };
  requestAnimationFrame(frame);
})"""


_RECORD_ARRIVALS = """() => {
  const source = Bokeh.documents[0].get_model_by_name('path');
  window.latencies = [];
  source.streaming.connect(() => {
    const t = source.data.t;
    window.latencies.push(Date.now() - t[t.length - 1]);
  });
}"""


def _path_loaded(page, points: int = 1) -> None:
    page.wait_for_function(
        f"() => window.Bokeh && Bokeh.documents.length && "
        f"Bokeh.documents[0].get_model_by_name('path') && Bokeh.documents[0]"
        f".get_model_by_name('path').data.x.length >= {points}",
        timeout=60_000)


def _percentiles(values, *qs) -> list[float]:
    return [round(percentile(values, q), 1) for q in qs]


def measure_latency(server: Server, seconds: float = 10.0, period_ms: int = 100,
                    background: int = 0) -> dict:
    """Server-to-browser latency in headless Chromium: the browser's clock when an update
    arrives minus the server's timestamp in it (``TIMESTAMPED`` server; same machine, same
    clock), optionally while ``background`` headless sessions stream from the same server."""
    if not os.path.exists(CHROMIUM):
        return {"updates": 0, "note": f"{CHROMIUM} not found"}
    with chromium_page(f"{server.url}?period={period_ms}") as page:
        _path_loaded(page)
        page.evaluate(_RECORD_ARRIVALS)
        workers: list[subprocess.Popen] = []
        if background:
            start, workers = start_load(server, background, period_ms, seconds)
            time.sleep(max(0.0, start - time.time()))
        page.evaluate("() => { window.latencies = []; }")
        time.sleep(seconds)
        latencies = page.evaluate("() => window.latencies")
        for worker in workers:
            worker.communicate(timeout=120)
    p50, p99 = _percentiles(latencies, 50, 99)
    return {"period_ms": period_ms, "background_sessions": background,
            "seconds": seconds, "updates": len(latencies), "latency_ms_p50": p50,
            "latency_ms_p99": p99, "latency_ms_max": round(max(latencies, default=0.0), 1)}


def measure_browser_fps(server: Server, window: int = 10_000, points_per_s: int = 20_000,
                        period_ms: int = 50, seconds: float = 5.0) -> dict:
    """Frames per second of the page in headless Chromium (canvas) while it streams
    ``points_per_s`` into a ``window``-point plot, the points it holds at the end, and the
    latency of updates (``TIMESTAMPED`` server) in the first and last fifth of the run."""
    if not os.path.exists(CHROMIUM):
        return {"frames": 0, "note": f"{CHROMIUM} not found"}
    batch = points_per_s * period_ms // 1000
    with chromium_page(f"{server.url}?period={period_ms}&batch={batch}&window={window}") as page:
        _path_loaded(page, window)
        page.evaluate(_RECORD_ARRIVALS)
        times = page.evaluate(_FRAME_COUNTER, seconds)
        held = page.evaluate("() => Bokeh.documents[0].get_model_by_name('path')"
                             ".data.x.length")
        latencies = page.evaluate("() => window.latencies")
    fifth = max(1, len(latencies) // 5)
    return {"window": window, "points_per_s": points_per_s, "batch": batch,
            "period_ms": period_ms, "seconds": seconds, "frames": len(times),
            "fps": round((len(times) - 1) / ((times[-1] - times[0]) / 1000), 1),
            "frame_ms_p99": _percentiles(np.diff(times), 99)[0],
            "points_held": held, "updates": len(latencies),
            "latency_ms_p50_first_fifth": _percentiles(latencies[:fifth], 50)[0],
            "latency_ms_p50_last_fifth": _percentiles(latencies[-fifth:], 50)[0],
            "latency_ms_p99": _percentiles(latencies, 99)[0]}

