"""`python -m benchmarks`: brownian_panel beside its baselines, side by side, on loopback.

    python -m benchmarks [--sessions 20] [--period 100] [--seconds 15] [--rounds 3]
                         [--out benchmarks/results] [--smoke]

Each round starts every variant in turn (ours, the Panel docs idiom, plain Bokeh), drives it
with the same headless `bokeh.client` sessions (one point per update), and stops it; medians
over rounds are reported with ratios. Then, for brownian_panel only: bytes per update at
batch 1, 10 and 1,000, 100 sessions at once (clients spread over processes), the ping round
trip, RSS per idle session, RSS and CPU after churning 100 sessions (twice); with a server
timestamp on every point: the server-to-browser latency in headless Chromium (alone and beside
100 sessions) and the frame rate of a streaming page.
Writes results.json and results.md.

    python -m benchmarks arrivals [--smoke] ...

measures opening pages instead (alone, as a crowd, in Chromium): see benchmarks/arrivals.py.
`--smoke` is a seconds-long run that checks the harness works (used by the tests).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .harness import (
    TIMESTAMPED,
    VARIANTS,
    measure_browser_fps,
    measure_capacity,
    measure_churn,
    measure_idle_memory,
    measure_latency,
    measure_ping_rtt,
    measure_streaming,
    running,
)
from .machine import machine, stack
from .stats import median


def run(options: argparse.Namespace) -> dict:
    variants = {name: VARIANTS[name] for name in options.variants}
    rounds: dict[str, list[dict]] = {name: [] for name in variants}
    first_page: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(options.rounds):
        for name, variant in variants.items():
            with running(variant, first_page=True) as server:
                first_page[name].append(server.ready_s)
            with running(variant) as server:
                rounds[name].append(measure_streaming(
                    server, options.sessions, options.period, options.seconds))
    streaming = {
        name: {
            "cpu_ms_per_session_update": median([r["cpu_ms_per_session_update"] for r in runs]),
            "server_cpu_percent": median([r["server_cpu_percent"] for r in runs]),
            "bytes_per_update": median([r["bytes_per_update"] for r in runs]),
            "first_page_s": round(median(first_page[name]), 3),
            "rounds": runs,
        }
        for name, runs in rounds.items()
    }
    ours = streaming["brownian_panel"]["cpu_ms_per_session_update"]
    ratios = {f"{name}_over_ours": round(result["cpu_ms_per_session_update"] / ours, 2)
              for name, result in streaming.items() if name != "brownian_panel"}
    with running(VARIANTS["brownian_panel"]) as server:
        wire = [measure_streaming(server, 1, options.period, options.wire_seconds, batch=batch)
                for batch in options.batches]
        capacity = measure_capacity(server, options.capacity_sessions, options.period,
                                    options.seconds, per_process=options.per_process)
        ping = measure_ping_rtt(server, options.pings)
    with running(VARIANTS["brownian_panel"]) as server:  # fresh: no high-water mark of others
        memory = measure_idle_memory(server, options.idle_sessions)
        # Twice: the first churn lifts RSS to the allocator's high-water mark for `wave`
        # concurrent sessions; the second shows whether anything is still kept per session.
        churn = [measure_churn(server, options.churn_sessions, options.churn_wave,
                               settle_s=options.churn_settle_s) for _ in range(2)]
    with running(TIMESTAMPED) as server:
        latency = [measure_latency(server, options.latency_seconds, options.period, background)
                   for background in (0, options.capacity_sessions)]
        fps = measure_browser_fps(server, window=options.fps_window,
                                  points_per_s=options.fps_points_per_s,
                                  seconds=options.fps_seconds)
    return {"machine": machine() | stack(), "options": vars(options) | {"out": str(options.out)},
            "streaming": streaming, "cpu_ratios": ratios, "bytes_per_update": wire,
            "capacity": capacity, "ping": ping, "latency": latency, "browser_fps": fps,
            "idle_memory": memory, "churn": churn}


def markdown(result: dict) -> str:
    m, o = result["machine"], result["options"]
    lines = [
        f"Machine: {m['cores']} cores, {m['ram_gib']} GiB RAM, Python {m['python']}, "
        f"Panel {m['panel']}, Bokeh {m['bokeh']}.",
        f"Load: {o['sessions']} headless `bokeh.client` sessions per server, one point every "
        f"{o['period']} ms, {o['seconds']} s per measurement, median of {o['rounds']} rounds "
        "(variants interleaved). Server CPU only; the clients run on the same 2 cores.",
        "",
        "| server | CPU ms per session-update | server CPU % of a core | bytes per update "
        "| first page (s) |",
        "|---|---|---|---|---|",
    ]
    for name, r in result["streaming"].items():
        lines.append(f"| {name} | {r['cpu_ms_per_session_update']:.3f} | "
                     f"{r['server_cpu_percent']:.1f} | {r['bytes_per_update']:.0f} | "
                     f"{r['first_page_s']:.2f} |")
    lines += ["", "CPU per session-update, baseline / ours: " + ", ".join(
        f"{k} = {v}" for k, v in result["cpu_ratios"].items()), "",
        "| batch (points per update) | bytes per update | payload (2 columns x 8 bytes) |",
        "|---|---|---|"]
    for w in result["bytes_per_update"]:
        lines.append(f"| {w['batch']} | {w['bytes_per_update']:.0f} | {16 * w['batch']} |")
    cap = result["capacity"]
    lines += ["", f"Capacity: {cap['sessions']} sessions at once (clients in "
              f"{cap['client_processes']} processes), one update every {cap['period_ms']} ms: "
              f"server {cap['server_cpu_percent']}% of a core, {cap['delivered_over_due']:.1%} of "
              f"the updates due delivered, interval jitter p50 {cap['jitter_ms_p50']} ms, "
              f"p99 {cap['jitter_ms_p99']} ms (measured at the clients)."]
    ping = result["ping"]
    if ping["pings"]:
        lines += ["", f"Ping round trip in headless Chromium (page at 10 Hz): median "
                  f"{ping['rtt_ms_median']} ms, max {ping['rtt_ms_max']} ms over {ping['pings']} "
                  "pings."]
    for lat in result["latency"]:
        if lat["updates"]:
            lines += ["", f"Latency (server timestamp in the data → browser clock on arrival, "
                      f"headless Chromium, one update every {lat['period_ms']} ms, "
                      f"{lat['background_sessions']} other sessions streaming): p50 "
                      f"{lat['latency_ms_p50']} ms, p99 {lat['latency_ms_p99']} ms, max "
                      f"{lat['latency_ms_max']} ms over {lat['updates']} updates."]
    fps = result["browser_fps"]
    if fps["frames"]:
        lines += ["", f"Browser: a {fps['window']:,}-point window fed {fps['points_per_s']:,} "
                  f"points/s ({fps['batch']} every {fps['period_ms']} ms) for {fps['seconds']} s "
                  f"rendered at {fps['fps']} frames/s (p99 frame interval {fps['frame_ms_p99']} "
                  f"ms), holding {fps['points_held']:,} points, headless Chromium, canvas; "
                  f"latency p50 {fps['latency_ms_p50_first_fifth']} ms in the first fifth of the "
                  f"run, {fps['latency_ms_p50_last_fifth']} ms in the last, p99 "
                  f"{fps['latency_ms_p99']} ms."]
    mem = result["idle_memory"]
    lines += ["", f"Idle sessions: {mem['sessions']} paused sessions added "
              f"{mem['rss_per_idle_session_kib']:.0f} KiB of server RSS each "
              f"({mem['rss_before_mib']} → {mem['rss_with_sessions_mib']} MiB).", ""]
    for label, churn in zip(("first", "second"), result["churn"], strict=True):
        lines += [f"Churn ({label}): {churn['sessions']} sessions opened and closed in waves of "
                  f"{churn['wave']}: RSS {churn['rss_before_mib']} → {churn['rss_after_mib']} MiB "
                  f"({churn['rss_change_percent']:+.1f}%), server CPU afterwards "
                  f"{churn['idle_cpu_percent_after']:.1f}% of a core.", ""]
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["arrivals"]:
        from .arrivals import main as arrivals_main

        arrivals_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--period", type=int, default=100, help="ms between updates")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                        help="servers to compare (brownian_panel is always needed)")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long harness check")
    options = parser.parse_args()
    options.batches = [1, 10, 1000]
    options.wire_seconds = 3.0
    options.idle_sessions = 20
    # Sessions end ~6 s after their clients close; Panel's gc.collect runs ~10 s after that.
    options.churn_sessions, options.churn_wave, options.churn_settle_s = 100, 20, 18.0
    options.pings = 12
    options.capacity_sessions, options.per_process = 100, 20
    options.fps_window, options.fps_points_per_s, options.fps_seconds = 10_000, 20_000, 20.0
    options.latency_seconds = 10.0
    if options.smoke:
        options.sessions, options.seconds, options.rounds = 2, 1.5, 1
        options.wire_seconds, options.idle_sessions = 1.0, 3
        options.churn_sessions, options.churn_wave, options.pings = 4, 2, 2
        options.churn_settle_s = 8.0
        options.capacity_sessions, options.per_process = 4, 2
        options.fps_window, options.fps_points_per_s, options.fps_seconds = 1_000, 2_000, 1.0
        options.latency_seconds = 1.0
    result = run(options)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (options.out / "results.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
