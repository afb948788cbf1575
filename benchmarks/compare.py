"""`python -m benchmarks.compare --against DIR`: this checkout beside another, and plain Bokeh.

    git worktree add /tmp/before <commit>
    python -m benchmarks.compare --against /tmp/before [--sessions 20] [--period 100]
                                 [--seconds 10] [--rounds 3]

Serves ``python -m brownian_panel`` from this checkout and from DIR in turn (each run from its
own directory with it first on PYTHONPATH, so each server imports its own package), then plain
Bokeh, round after round, and drives each with the same headless sessions (one point per
update). Prints the server CPU per session-update and bytes per update of each round, their
medians and the ratios: what a change costs, measured side by side on one machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from .harness import VARIANTS, in_checkout, measure_streaming, running
from .machine import machine

HERE = Path(__file__).resolve().parent.parent


def run(against: Path, sessions: int, period: int, seconds: float, rounds: int) -> dict:
    trees = {"this": HERE, "against": against.resolve()}
    results: dict[str, list[dict]] = {name: [] for name in [*trees, "plain_bokeh"]}
    for _ in range(rounds):
        for name, tree in trees.items():
            with in_checkout(tree), running(VARIANTS["brownian_panel"]) as server:
                results[name].append(measure_streaming(server, sessions, period, seconds))
        with running(VARIANTS["plain_bokeh"]) as server:
            results["plain_bokeh"].append(measure_streaming(server, sessions, period, seconds))
    summary = {}
    for name, measured in results.items():
        cpu = [m["cpu_ms_per_session_update"] for m in measured]
        summary[name] = {
            "cpu_ms_per_session_update": cpu, "median": statistics.median(cpu),
            "bytes_per_update": statistics.median(m["bytes_per_update"] for m in measured),
            "updates_over_expected": [round(m["updates"] / m["updates_expected"], 3)
                                      for m in measured],
        }
    this = summary["this"]["median"]
    summary["ratios"] = {"this_over_against": round(this / summary["against"]["median"], 2),
                         "plain_bokeh_over_this": round(summary["plain_bokeh"]["median"] / this,
                                                        2)}
    summary["machine"] = machine()
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", type=Path, required=True)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--period", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    print(json.dumps(run(options.against, options.sessions, options.period, options.seconds,
                         options.rounds), indent=2))


if __name__ == "__main__":
    main()
