"""`python -m benchmarks.export`: the CSV export of a long history: time, size, extra memory.

    python -m benchmarks.export [--points 10000000] [--paths 1]

Fills a history of ``--points`` points (over ``--paths`` paths), then writes its CSV through
``Export.chunks`` to a sink that only counts bytes, as the HTTP route does chunk by chunk.
Reports seconds, MB/s and points/s, the largest chunk, and (in a second, traced pass) the peak
of memory allocated during the export (tracemalloc) against the history's own size: the export
must never copy it whole.
Also round-trips the first and last chunk's rows (``float(repr(y)) == y``).
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

from brownian_panel.export.csv import Export
from brownian_panel.model.ensemble import EnsembleHistory
from brownian_panel.model.history import History
from brownian_panel.model.walk import BrownianMotion

from .machine import machine


def run(points: int, paths: int = 1, seed: int = 0) -> dict:
    model = BrownianMotion(seed=seed, paths=paths, batch=min(100_000, max(1, points // paths)),
                           history=max(points, 100_000))
    history = History(capacity=max(points // paths, 65_536))
    ensemble = EnsembleHistory(paths, max(points, 100_000))
    while history.stop * paths < points:
        _x, y = model.advance()
        history.append(y if paths == 1 else y[0])
        if paths > 1:
            ensemble.append(y)
    held = history.nbytes if paths == 1 else ensemble.nbytes
    export = Export(model, history, ensemble)
    started = time.perf_counter()
    size = largest = chunks = 0
    first = last = ""
    for chunk in export.chunks():  # timed without tracing
        size += len(chunk)
        largest = max(largest, len(chunk))
        chunks += 1
        if chunks == 2:
            first = chunk
        last = chunk
    seconds = time.perf_counter() - started
    tracemalloc.start()
    for _chunk in export.chunks():  # again, for the memory it allocates
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for text in (first, last):
        for line in text.splitlines()[:1000]:
            values = [float(v) for v in line.split(",")[1:]]
            assert all(repr(v) in line for v in values)
    exported = len(history) * paths if paths == 1 else len(ensemble) * paths
    return {
        "points": exported, "paths": paths, "seconds": round(seconds, 2),
        "mb": round(size / 1e6, 1), "mb_per_s": round(size / 1e6 / seconds, 1),
        "points_per_s": round(exported / seconds), "chunks": chunks,
        "largest_chunk_mb": round(largest / 1e6, 2),
        "peak_traced_mb": round(peak / 1e6, 1), "history_mb": round(held / 1e6, 1),
        "peak_over_history": round(peak / held, 4),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--paths", type=int, default=1)
    options = parser.parse_args()
    print(json.dumps(run(options.points, options.paths), indent=2))


if __name__ == "__main__":
    main()
