"""`python -m benchmarks.zoom`: History zoom latency in Chromium and the server, and the JS heap.

    python -m benchmarks.zoom [--points 10000000] [--trials 30] [--heap-minutes 0]

Serves the app in this process (Panel's server on a free loopback port) and opens it in
Debian's headless Chromium. The page fills its history with ``--points`` (100,000 points every
50 ms) and is paused. Then, trial after trial, one mouse-wheel step over the History plot
(alternately in and out), and:

- browser: the wheel event's time to the animation frame after the one in which the History
  source holds new data (the new view drawn);
- server: ``RangesUpdate`` handled (``HistoryView._on_ranges`` called) to the refresh written
  to the socket, the refresh alone (decimate, envelope, encode, write), and the bytes of that
  message.

``--heap-minutes N`` then streams 20,000 points/s (1,000 every 50 ms) for N minutes and samples
the page's JS heap after a forced garbage collection (Chrome DevTools Protocol) every 30 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import panel as pn

from brownian_panel.driver import wire
from brownian_panel.views.history import HistoryView
from brownian_panel.views.page import BrownianApp

from .harness import CHROMIUM, CHROMIUM_FLAGS, free_port
from .machine import machine

_WATCH = """() => {
  const doc = Bokeh.documents[0];
  const source = doc.get_model_by_name('history');
  const column = () => source.data instanceof Map ? source.data.get('x') : source.data.x;
  window.zoom = {wheel: null, drawn: null};
  document.addEventListener('wheel', (event) => {
    if (window.zoom.wheel !== null) return;
    window.zoom.wheel = event.timeStamp;
    const before = column();
    const frame = () => {
      if (column() !== before) {  // new data in this frame: drawn by the next one
        requestAnimationFrame(() => { window.zoom.drawn = performance.now(); });
        return;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }, {capture: true});
}"""

_HEAP = "() => performance.memory.usedJSHeapSize"

_HISTORY_POINTS = """() => {
  const data = Bokeh.documents[0].get_model_by_name('history').data;
  return (data instanceof Map ? data.get('x') : data.x).length;
}"""


def _serve(apps: list[BrownianApp]):
    port = free_port()

    def new_app() -> BrownianApp:
        app = BrownianApp()
        apps.append(app)
        return app

    server = pn.serve({"brownian": new_app}, port=port, address="127.0.0.1", show=False,
                      threaded=True, start=True,
                      websocket_origin=[f"127.0.0.1:{port}"])
    return server, f"http://127.0.0.1:{port}/brownian"


class _ServerClock:
    """Times each ``RangesUpdate`` from the handler to the end of the refresh that answers it,
    and the bytes the refresh wrote."""

    def __init__(self):
        self.seconds: list[float] = []
        self.refresh_seconds: list[float] = []
        self.bytes: list[int] = []
        self._since: float | None = None
        self._frames = 0
        on_ranges, refresh, frames = HistoryView._on_ranges, HistoryView.refresh, \
            wire.message_frames

        def timed_on_ranges(view, event):
            self._since = time.perf_counter()
            on_ranges(view, event)

        def timed_refresh(view):
            self._frames = 0
            began = time.perf_counter()
            refresh(view)
            if self._since is not None:
                self.seconds.append(time.perf_counter() - self._since)
                self.refresh_seconds.append(time.perf_counter() - began)
                self.bytes.append(self._frames)
                self._since = None

        def counted_frames(message):
            encoded = frames(message)
            self._frames += len(encoded)
            return encoded

        HistoryView._on_ranges, HistoryView.refresh = timed_on_ranges, timed_refresh
        wire.message_frames = counted_frames


def _stats(values: list[float], scale: float = 1.0) -> dict:
    values = np.asarray(values) * scale
    return {"n": len(values), "p50": round(float(np.median(values)), 2),
            "p90": round(float(np.percentile(values, 90)), 2),
            "max": round(float(values.max()), 2)} if len(values) else {"n": 0}


def run(points: int, trials: int, heap_minutes: float) -> dict:
    from playwright.sync_api import sync_playwright

    clock = _ServerClock()
    apps: list[BrownianApp] = []
    server, url = _serve(apps)
    result: dict = {"machine": machine(), "points": points}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[*CHROMIUM_FLAGS, "--enable-precise-memory-info"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            batch = min(100_000, points)
            page.goto(f"{url}?period=50&batch={batch}&window=1000&history={max(points, 100_000)}")
            page.wait_for_function("() => window.Bokeh && Bokeh.documents.length && "
                                   "Bokeh.documents[0].get_model_by_name('history')",
                                   timeout=60_000)
            while not apps or len(apps[-1].history.history) < points:
                time.sleep(0.2)
            page.get_by_role("button", name="Pause").click()
            time.sleep(1.0)
            result["browser_ms"] = _zoom_trials(page, trials)
            result["server_ms"] = _stats(clock.seconds, 1e3)
            result["server_refresh_ms"] = _stats(clock.refresh_seconds, 1e3)
            result["bytes_per_view_update"] = _stats(clock.bytes)
            result["pixels"] = apps[-1].history.pixels
            if heap_minutes:
                result["heap"] = _heap(page, url, heap_minutes)
            browser.close()
    finally:
        server.stop()
    return result


def _zoom_trials(page, trials: int) -> dict:
    plot = page.locator(".bk-Figure").nth(1)  # the History plot, after the live plot
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.evaluate(_WATCH)
    latencies, missed = [], 0
    for trial in range(trials):
        page.evaluate("() => { window.zoom.wheel = null; window.zoom.drawn = null; }")
        page.mouse.wheel(0, -100 if trial % 2 == 0 else 100)
        try:
            page.wait_for_function("() => window.zoom.drawn !== null", timeout=3000)
        except Exception:
            missed += 1
            continue
        latencies.append(page.evaluate("() => window.zoom.drawn - window.zoom.wheel"))
        page.wait_for_timeout(300)
    return {**_stats(latencies), "missed": missed}


def _heap(page, url: str, minutes: float) -> dict:
    page.goto(f"{url}?period=50&batch=1000&window=10000")
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length && "
                           "Bokeh.documents[0].get_model_by_name('history')", timeout=60_000)
    cdp = page.context.new_cdp_session(page)
    samples = []
    started = time.monotonic()
    while True:
        cdp.send("HeapProfiler.collectGarbage")
        samples.append({"s": round(time.monotonic() - started),
                        "mib": round(page.evaluate(_HEAP) / 2**20, 2),
                        "history_points": page.evaluate(_HISTORY_POINTS)})
        if time.monotonic() - started >= minutes * 60:
            break
        time.sleep(30)
    values = [sample["mib"] for sample in samples]
    half = len(values) // 2
    return {"minutes": minutes, "points_per_s": 20_000, "samples": samples,
            "first_half_median_mib": statistics.median(values[:half] or values),
            "second_half_median_mib": statistics.median(values[half:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--heap-minutes", type=float, default=0.0)
    options = parser.parse_args()
    print(json.dumps(run(options.points, options.trials, options.heap_minutes), indent=2))


if __name__ == "__main__":
    main()
