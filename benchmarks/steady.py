"""`python -m benchmarks.steady`: server CPU per session-update once pages are open, side by side.

    python -m benchmarks.steady [--rounds 2] [--fast-sessions 20] [--slow-sessions 40]

Round after round, each variant on a fresh server, driven by headless `bokeh.client` sessions
that report ``document_ready`` as BokehJS does (so our pages are whole: History following with
every update, statistics once a second):
- one point every 100 ms (10 Hz), ``--fast-sessions`` sessions, 10 s after a 10 s warm-up:
  ours, the Panel docs idiom and plain Bokeh;
- one point every 500 ms (the default 2 Hz), ``--slow-sessions`` sessions, 15 s after a 40 s
  warm-up: ours and the idiom, and their ratio.
Prints one JSON document with the medians over rounds.
"""

from __future__ import annotations

import argparse
import json

from .harness import VARIANTS, measure_streaming, running
from .machine import machine, stack
from .stats import median

LOADS = {
    "10_hz": {"period": 100, "warmup_s": 10.0, "seconds": 10.0,
              "variants": ["brownian_panel", "panel_docs_idiom", "plain_bokeh"]},
    "2_hz": {"period": 500, "warmup_s": 40.0, "seconds": 15.0,
             "variants": ["brownian_panel", "panel_docs_idiom"]},
}


def run(rounds: int, fast_sessions: int, slow_sessions: int) -> dict:
    result: dict = {"machine": machine() | stack(), "rounds": rounds}
    for name, load in LOADS.items():
        count = fast_sessions if name == "10_hz" else slow_sessions
        measured: dict[str, list[float]] = {variant: [] for variant in load["variants"]}
        for _ in range(rounds):
            for variant in load["variants"]:
                with running(VARIANTS[variant]) as server:
                    measured[variant].append(measure_streaming(
                        server, count, load["period"], load["seconds"],
                        warmup_s=load["warmup_s"])["cpu_ms_per_session_update"])
        medians = {variant: median(values) for variant, values in measured.items()}
        result[name] = {"sessions": count, **load, "cpu_ms_per_session_update": medians,
                        "rounds_measured": measured,
                        "ours_over_idiom": round(medians["brownian_panel"]
                                                 / medians["panel_docs_idiom"], 3)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.steady",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fast-sessions", type=int, default=20)
    parser.add_argument("--slow-sessions", type=int, default=40)
    options = parser.parse_args()
    print(json.dumps(run(options.rounds, options.fast_sessions, options.slow_sessions),
                     indent=1))


if __name__ == "__main__":
    main()
