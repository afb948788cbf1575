"""`python -m benchmarks.sweep`: server CPU and tick jitter against the number of sessions.

    python -m benchmarks.sweep [--sessions 20 40 60 80 100] [--period 100] [--seconds 10]
                               [--png docs/benchmarks-sessions.png]

Runs `measure_capacity` on one `brownian_panel` server for each session count, writes the
figures as JSON beside the PNG and plots them (needs matplotlib: `pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .harness import VARIANTS, measure_capacity, running

#: Seconds for closed sessions to end (brownian-panel: unused for 5 s, checked every 1 s).
SETTLE_S = 8.0


def plot(results: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sessions = [r["sessions"] for r in results]
    figure, cpu_axis = plt.subplots(figsize=(7, 4))
    cpu_axis.plot(sessions, [r["server_cpu_percent"] for r in results], "o-", color="tab:blue")
    cpu_axis.set_xlabel(f"sessions, one update every {results[0]['period_ms']} ms")
    cpu_axis.set_ylabel("server CPU, % of one core", color="tab:blue")
    jitter_axis = cpu_axis.twinx()
    jitter_axis.plot(sessions, [r["jitter_ms_p99"] for r in results], "s--", color="tab:red")
    jitter_axis.set_ylabel("update interval jitter p99, ms", color="tab:red")
    cpu_axis.set_ylim(bottom=0)
    jitter_axis.set_ylim(bottom=0)
    figure.suptitle("brownian_panel: one server process, 2 cores (clients on the same cores)")
    figure.tight_layout()
    figure.savefig(png, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__)
    parser.add_argument("--sessions", type=int, nargs="+", default=[20, 40, 60, 80, 100])
    parser.add_argument("--period", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--png", type=Path, default=Path("docs/benchmarks-sessions.png"))
    options = parser.parse_args()
    results = []
    with running(VARIANTS["brownian_panel"]) as server:
        for count in options.sessions:
            results.append(measure_capacity(server, count, options.period, options.seconds))
            # Let the closed sessions end before the next level: ending them runs Panel's
            # gc.collect, which stalled every other session by 140-190 ms when it overlapped.
            time.sleep(SETTLE_S)
    options.png.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, options.png)
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
