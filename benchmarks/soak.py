"""`python -m benchmarks.soak`: server memory over hours, with sessions coming and going.

    python -m benchmarks.soak [--minutes 60] [--churn 20] [--every 10]
                              [--out docs/soak.json] [--png docs/soak.png]

`brownian-panel` (its defaults) serves one session at 20,000 points/s (1,000 points every 50 ms
into a 100,000-point window) and ``--churn`` sessions that come and go: every ``--every``
seconds they close and as many new ones open. Every client is headless (`bokeh.client`, as a
page: it pulls the document, reports it ready and applies every update). The server's RSS is
sampled every 10 s; the verdict compares every sample after the first 10 minutes with the
sample at minute 10 (target: within 10%). Writes the samples and the verdict as JSON, and a
plot (needs matplotlib: `pip install -e '.[bench]'`). On demand, not in CI.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .harness import LoadClient, Variant, rss_bytes, running
from .machine import machine

#: The fast session's settings: 1,000 points every 50 ms (20,000 points/s).
FAST = {"period": "50", "batch": "1000", "window": "100000"}

SAMPLE_S = 10.0
WARM_UP_MIN = 10.0
#: Largest allowed distance of an RSS sample after warm-up from the one at warm-up's end.
TOLERANCE = 0.10

BROWNIAN_PANEL = Variant(
    "brownian_panel", lambda port: [sys.executable, "-m", "brownian_panel", "--port", str(port)],
    "brownian")


def soak(minutes: float, churn: int, every_s: float) -> dict:
    samples: list[tuple[float, int]] = []
    opened = 0
    with running(BROWNIAN_PANEL) as server:
        pid = server.process.pid
        fast = LoadClient(server.url, FAST)
        coming: list[LoadClient] = []
        started = time.monotonic()
        next_sample = next_churn = started
        try:
            while (now := time.monotonic()) - started < minutes * 60:
                if now >= next_churn:
                    for client in coming:
                        client.close()
                    coming = [LoadClient(server.url, {}) for _ in range(churn)]
                    opened += churn
                    next_churn += every_s
                if now >= next_sample:
                    samples.append((round(now - started, 1), rss_bytes(pid)))
                    print(f"{samples[-1][0] / 60:6.1f} min  RSS {samples[-1][1] / 2**20:7.1f} MiB"
                          f"  sessions opened {opened}", flush=True)
                    next_sample += SAMPLE_S
                time.sleep(max(0.0, min(next_sample, next_churn) - time.monotonic()))
            fast_points = fast.last_x
        finally:
            for client in [fast, *coming]:
                client.close()
    return {"machine": machine(), "minutes": minutes, "churn": churn, "every_s": every_s,
            "sessions_opened": opened, "fast_session_points": fast_points,
            "samples": [{"t_s": t, "rss_mib": round(rss / 2**20, 2)} for t, rss in samples],
            **verdict(samples)}


def verdict(samples: list[tuple[float, int]]) -> dict:
    """Each sample after ``WARM_UP_MIN`` against the last sample of warm-up."""
    warm = [rss for t, rss in samples if t <= WARM_UP_MIN * 60]
    after = [rss for t, rss in samples if t > WARM_UP_MIN * 60]
    if not warm or not after:
        return {"verdict": "too short to judge (needs more than "
                           f"{WARM_UP_MIN:g} minutes)"}
    base = warm[-1]
    spread = max(abs(rss - base) for rss in after) / base
    return {"rss_at_warm_up_mib": round(base / 2**20, 2),
            "rss_after_min_mib": round(min(after) / 2**20, 2),
            "rss_after_max_mib": round(max(after) / 2**20, 2),
            "largest_change": round(spread, 4),
            "verdict": "within" if spread <= TOLERANCE else "outside"}


def plot(result: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [sample["t_s"] / 60 for sample in result["samples"]]
    rss = [sample["rss_mib"] for sample in result["samples"]]
    figure, axes = plt.subplots(figsize=(8, 3.5))
    axes.plot(minutes, rss, lw=1.2)
    if "rss_at_warm_up_mib" in result:
        base = result["rss_at_warm_up_mib"]
        axes.axhspan(base * (1 - TOLERANCE), base * (1 + TOLERANCE), color="tab:green",
                     alpha=0.12, label=f"±{TOLERANCE:.0%} of the RSS at minute {WARM_UP_MIN:g}")
        axes.axvline(WARM_UP_MIN, color="grey", lw=0.8, ls="--")
        axes.legend(loc="lower right")
    axes.set_xlabel("minutes")
    axes.set_ylabel("server RSS (MiB)")
    axes.set_ylim(bottom=0)
    axes.set_title(f"brownian-panel: 1 session at 20,000 points/s + {result['churn']} sessions "
                   f"replaced every {result['every_s']:g} s", fontsize=10)
    figure.tight_layout()
    figure.savefig(png, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--churn", type=int, default=20)
    parser.add_argument("--every", type=float, default=10.0, help="seconds")
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the samples")
    parser.add_argument("--png", type=Path, default=None, help="plot of the samples")
    options = parser.parse_args(argv)
    result = soak(options.minutes, options.churn, options.every)
    text = json.dumps(result, indent=1)
    if options.out:
        options.out.write_text(text + "\n", encoding="utf-8")
    if options.png:
        plot(result, options.png)
    summary = {key: value for key, value in result.items() if key != "samples"}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
