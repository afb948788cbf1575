"""`python -m benchmarks.stacks`: CPU per session-update on the running stack, side by side.

    python -m benchmarks.stacks [--sessions 20] [--period 100] [--seconds 10] [--rounds 3]

Run it with each supported stack's Python (e.g. `.venv-py312/bin/python -m benchmarks.stacks`).
Round after round it serves, in turn: ours (`python -m brownian_panel`, every fast path on),
ours with `BROWNIAN_PANEL_PUBLIC_PATHS=all` (every update through the document lock: what
`compat` falls back to), the Panel docs idiom and plain Bokeh, and drives each with the same
headless `bokeh.client` sessions (one point per update). Prints JSON: the stack, medians and
each round, and ratios to ours.
"""

from __future__ import annotations

import argparse
import json
import sys

from brownian_panel.compat import PUBLIC_PATHS_ENV, stack

from .harness import VARIANTS, Variant, measure_streaming, running
from .machine import machine
from .stats import median

#: Ours with every private fast path off (same app path and arguments as ours).
PUBLIC_PATHS = Variant(
    "brownian_panel",
    lambda port: ["env", f"{PUBLIC_PATHS_ENV}=all", *VARIANTS["brownian_panel"].command(port)],
    "brownian")

SERVERS = {"ours": VARIANTS["brownian_panel"], "ours_public_paths": PUBLIC_PATHS,
           "panel_docs_idiom": VARIANTS["panel_docs_idiom"],
           "plain_bokeh": VARIANTS["plain_bokeh"]}


def side_by_side(sessions: int, period_ms: int, seconds: float, rounds: int) -> dict:
    runs: dict[str, list[float]] = {name: [] for name in SERVERS}
    for _ in range(rounds):
        for name, variant in SERVERS.items():
            with running(variant) as server:
                result = measure_streaming(server, sessions, period_ms, seconds)
            runs[name].append(round(result["cpu_ms_per_session_update"], 3))
    medians = {name: median(values) for name, values in runs.items()}
    ours = medians["ours"]
    return {"cpu_ms_per_session_update": medians, "rounds": runs,
            "over_ours": {name: round(value / ours, 2) for name, value in medians.items()
                          if name != "ours"}}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stacks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--period", type=int, default=100, help="ms between updates")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    result = {"machine": machine(), "stack": stack(), "executable": sys.executable,
              "options": vars(options),
              **side_by_side(options.sessions, options.period, options.seconds, options.rounds)}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
