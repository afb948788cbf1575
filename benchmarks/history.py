"""`python -m benchmarks.history`: the history pyramid beside full scans, side by side.

    python -m benchmarks.history [--points 10000000] [--pixels 1000] [--views 200]

Appends a random walk in batches of 1,000 (and, separately, one point at a time), then times
views of random ranges at ``--pixels``: ours (``History.view``), a numpy min/max scan of the
range, and tsdownsample's MinMax (a one-shot scan, if installed: the ``bench`` extra), range by
range (so each view starts with caches the scans left cold), then ours alone back to back
(warm). Also one app tick at the end of the history (append 1,000 points and update the view)
and the zoom handler. Reports medians and p99 in microseconds, ratios, and the memory held per
raw float64 byte.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from brownian_panel.model.history import History

from .machine import machine
from .stats import percentile


def _percentiles(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1e6
    return {"p50_us": percentile(values, 50), "p99_us": percentile(values, 99)}


def _numpy_scan(values: np.ndarray, start: int, stop: int, pixels: int) -> None:
    part = values[start:stop]
    edges = np.linspace(0, len(part), pixels + 1).astype(np.int64)[:-1]
    np.minimum.reduceat(part, edges), np.maximum.reduceat(part, edges)


def _zoom_handler(values: np.ndarray, pixels: int, rng: np.random.Generator) -> dict:
    """A RangesUpdate handled by the History plot, outside a session: decimating the new range
    and setting the source (no socket write)."""
    from bokeh.events import RangesUpdate

    from brownian_panel.model.record import Record
    from brownian_panel.model.walk import BrownianMotion
    from brownian_panel.views.history import HistoryView

    view = HistoryView(Record(BrownianMotion(history=max(len(values), 100_000))))
    view.history.append(values)
    samples = []
    for _ in range(100):
        start = float(rng.integers(1, len(values) - 10))
        stop = float(rng.integers(int(start) + 10, len(values) + 1))
        event = RangesUpdate(view.figure, x0=start, x1=stop, y0=0, y1=1)
        began = time.perf_counter()
        view._on_ranges(event)
        samples.append(time.perf_counter() - began)
    return _percentiles(samples)


def _ticks(values: np.ndarray, pixels: int, batch: int = 1000, ticks: int = 200) -> dict:
    """One app tick at the end of the history: append a batch, then bring the whole-history
    view up to date, as the app does (``FollowingView``: the changed tail) and by recomputing
    the whole view (``History.view``)."""
    from brownian_panel.model.decimation import FollowingView

    history = History(capacity=len(values))
    history.append(values[:-batch * ticks])
    following = FollowingView()
    following.update(history, pixels)
    samples: dict[str, list[float]] = {"append_and_following_update": [],
                                       "append_and_whole_view": []}
    for tick in range(ticks):
        new = values[len(values) - batch * (ticks - tick):][:batch]
        began = time.perf_counter()
        history.append(new)
        following.update(history, pixels)
        samples["append_and_following_update"].append(time.perf_counter() - began)
        began = time.perf_counter()
        history.view(history.start, history.stop, pixels)
        samples["append_and_whole_view"].append(time.perf_counter() - began
                                                + samples["append_and_following_update"][-1])
    return {name: _percentiles(times) for name, times in samples.items()}


def run(points: int, pixels: int, views: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(size=points))
    history = History(capacity=max(points, 100_000))
    appends = []
    for start in range(0, points, 1000):
        began = time.perf_counter()
        history.append(values[start:start + 1000])
        appends.append(time.perf_counter() - began)
    singles = History()
    began = time.perf_counter()
    for value in values[:200_000].tolist():
        singles.append(value)
    single_us = (time.perf_counter() - began) / 200_000 * 1e6

    try:
        from tsdownsample import MinMaxDownsampler
    except ImportError:
        MinMaxDownsampler = None
    ranges = []
    for _ in range(views):
        start = int(rng.integers(0, points - 10))
        ranges.append((start, int(rng.integers(start + 10, points + 1))))
    ranges.append((0, points))
    timings: dict[str, list[float]] = {"ours": [], "numpy_scan": [], "tsdownsample": []}
    for start, stop in ranges:  # side by side, range by range
        began = time.perf_counter()
        history.view(start, stop, pixels)
        timings["ours"].append(time.perf_counter() - began)
        began = time.perf_counter()
        _numpy_scan(values, start, stop, pixels)
        timings["numpy_scan"].append(time.perf_counter() - began)
        if MinMaxDownsampler is not None and stop - start > 2 * pixels:
            began = time.perf_counter()
            MinMaxDownsampler().downsample(values[start:stop], n_out=2 * pixels)
            timings["tsdownsample"].append(time.perf_counter() - began)
    whole = {name: [] for name in timings}
    for _ in range(20):
        began = time.perf_counter()
        history.view(0, points, pixels)
        whole["ours"].append(time.perf_counter() - began)
        began = time.perf_counter()
        _numpy_scan(values, 0, points, pixels)
        whole["numpy_scan"].append(time.perf_counter() - began)
        if MinMaxDownsampler is not None:
            began = time.perf_counter()
            MinMaxDownsampler().downsample(values, n_out=2 * pixels)
            whole["tsdownsample"].append(time.perf_counter() - began)
    warm = {"whole": [], "random_ranges": []}
    for _ in range(20):  # ours alone, back to back: caches and allocator warm
        began = time.perf_counter()
        history.view(0, points, pixels)
        warm["whole"].append(time.perf_counter() - began)
    for start, stop in ranges:
        began = time.perf_counter()
        history.view(start, stop, pixels)
        warm["random_ranges"].append(time.perf_counter() - began)
    result = {
        "machine": machine(),
        "points": points, "pixels": pixels,
        "append_batch_1000": _percentiles(appends),
        "append_single_us_per_point": single_us,
        "memory_per_raw_byte": history.nbytes / (8 * len(history)),
        "view_random_ranges": {name: _percentiles(samples)
                               for name, samples in timings.items() if samples},
        "view_whole": {name: _percentiles(samples) for name, samples in whole.items() if samples},
    }
    result["view_warm"] = {name: _percentiles(samples) for name, samples in warm.items()}
    result["tick"] = _ticks(values, pixels)
    result["zoom_handler"] = _zoom_handler(values, pixels, rng)
    ours = result["view_whole"]["ours"]["p50_us"]
    result["whole_speedup"] = {name: entry["p50_us"] / ours
                               for name, entry in result["view_whole"].items()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--pixels", type=int, default=1000)
    parser.add_argument("--views", type=int, default=200)
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.points, arguments.pixels, arguments.views), indent=1))


if __name__ == "__main__":
    main()
