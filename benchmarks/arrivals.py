"""`python -m benchmarks arrivals`: what opening pages costs, alone and as a crowd, side by side.

    python -m benchmarks arrivals [--pages 10] [--sessions 100] [--spacing-ms 20]
                                  [--period 100] [--after-s 10] [--loads 5]
                                  [--out benchmarks/results] [--smoke]

For each variant (ours, the Panel docs idiom, plain Bokeh), each on a fresh server:

1. **Page open**: after 3 warm-up pages, ``--pages`` pages one at a time (a pause between
   them lets a page's later parts finish): the server's CPU from the GET to the first point
   received, and over the whole page (first point + 1.2 s: our page's parts built after its
   first point included), by a raw client that behaves like BokehJS (``pageclient``).
2. **Arrivals**: ``--sessions`` such clients opened ``--spacing-ms`` apart at one point every
   ``--period`` ms: each one's time from its GET to its first point (p50, p99, max), and the
   share of the updates due in the ``--after-s`` seconds after the last GET that arrived.
3. **First page in Chromium**: navigation start to the first frame drawn after the first point
   arrived (``performance.now()``), median of ``--loads`` loads after one warm-up.

Writes arrivals.json and arrivals.md to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from functools import partial
from pathlib import Path

from .harness import VARIANTS, chromium_page, cpu_seconds, running
from .machine import machine, stack
from .pageclient import open_page
from .stats import median, percentile

#: Seconds after a page's first point in which its later parts are built (one page alone).
WHOLE_PAGE_S = 1.2


def page_open(server, pages: int, warmup: int = 3, period: int = 500) -> dict:
    """Server CPU ms per page: GET → first point, and GET → first point + ``WHOLE_PAGE_S``."""
    pid, url = server.process.pid, f"{server.url}?period={period}"
    first, whole, walls = [], [], []
    for index in range(warmup + pages):
        at_first_point: list[float] = []
        cpu0 = cpu_seconds(pid)
        opened = asyncio.run(open_page(url, follow_s=WHOLE_PAGE_S, on_first_point=partial(
            lambda seen: seen.append(cpu_seconds(pid)), at_first_point)))
        if opened.error:
            raise RuntimeError(f"{server.variant.name}: {opened.error}")
        cpu_first = at_first_point[0]
        cpu1 = cpu_seconds(pid)
        if index >= warmup:
            first.append(1000 * (cpu_first - cpu0))
            whole.append(1000 * (cpu1 - cpu0))
            walls.append(1000 * opened.first_point_s)
        time.sleep(0.5)
    return {"pages": pages, "cpu_ms_to_first_point": round(median(first), 1),
            "cpu_ms_whole_page": round(median(whole), 1),
            "wall_ms_to_first_point": round(median(walls), 1),
            "cpu_ms_to_first_point_all": [round(v, 1) for v in first]}


async def _crowd(url: str, sessions: int, spacing_s: float, after_s: float) -> list:
    start = time.time() + 0.5
    last_get = start + (sessions - 1) * spacing_s
    stop_at = last_get + after_s + 0.5

    async def one(index: int):
        await asyncio.sleep(max(0.0, start + index * spacing_s - time.time()))
        return await open_page(url, stop_at=stop_at)

    opened = await asyncio.gather(*(one(index) for index in range(sessions)))
    return [last_get, opened]


def arrivals(server, sessions: int, spacing_ms: float, period: int, after_s: float) -> dict:
    """``sessions`` pages opened ``spacing_ms`` apart, one point every ``period`` ms."""
    pid = server.process.pid
    cpu0 = cpu_seconds(pid)
    last_get, opened = asyncio.run(_crowd(f"{server.url}?period={period}", sessions,
                                          spacing_ms / 1000, after_s))
    cpu = cpu_seconds(pid) - cpu0
    firsts = [o.first_point_s for o in opened]
    window = (last_get, last_get + after_s)
    delivered = sum(window[0] <= t < window[1]
                    for o in opened for t in [o.first_point_at, *o.updates])
    due = sessions * after_s * 1000 / period
    return {"sessions": sessions, "spacing_ms": spacing_ms, "period_ms": period,
            "after_s": after_s, "errors": sum(bool(o.error) for o in opened),
            "first_point_s_p50": round(percentile(firsts, 50), 2),
            "first_point_s_p99": round(percentile(firsts, 99), 2),
            "first_point_s_max": round(max(firsts), 2),
            "within_5_s": sum(f <= 5.0 for f in firsts),
            "delivered_over_due": round(delivered / due, 4),
            "server_cpu_s": round(cpu, 2)}


#: In the page: performance.now() at the first animation frame after a source holds a point.
_FIRST_POINT_DRAWN = """
() => new Promise((resolve) => {
  const poll = () => {
    const doc = window.Bokeh && Bokeh.documents[0];
    const models = doc ? [...doc.all_models] : [];
    // Not the source of our plots' empty-range anchor (two points from the start).
    const anchors = new Set(models.filter((m) => m.name === "empty-anchor")
      .map((m) => m.data_source));
    const sources = models.filter((m) => m.get_length !== undefined && m.data !== undefined
      && (m.get_length() ?? 0) > 0 && !anchors.has(m));
    if (sources.length) {
      requestAnimationFrame(() => resolve(performance.now()));
    } else {
      setTimeout(poll, 2);
    }
  };
  poll();
})
"""


def chromium_first_page(server, loads: int, period: int = 500) -> dict:
    """Navigation start → first point drawn, in headless Chromium (ms), ``loads`` loads."""
    times = []
    with chromium_page(f"{server.url}?period={period}") as page:
        for index in range(loads + 1):
            page.goto(f"{server.url}?period={period}", wait_until="commit")
            drawn = page.evaluate(_FIRST_POINT_DRAWN)
            if index:
                times.append(drawn)
    return {"loads": loads, "first_point_drawn_ms_median": round(median(times), 1),
            "first_point_drawn_ms_max": round(max(times), 1)}


def run(options: argparse.Namespace) -> dict:
    results: dict = {"machine": machine() | stack(),
                     "options": vars(options) | {"out": str(options.out)}, "variants": {}}
    for name in options.variants:
        variant = VARIANTS[name]
        result = results["variants"][name] = {}
        with running(variant) as server:
            result["page_open"] = page_open(server, options.pages)
        with running(variant) as server:
            result["arrivals"] = arrivals(server, options.sessions, options.spacing_ms,
                                          options.period, options.after_s)
        with running(variant) as server:
            result["chromium"] = chromium_first_page(server, options.loads)
    ours = results["variants"]["brownian_panel"]["page_open"]["cpu_ms_to_first_point"]
    results["page_open_ratios"] = {
        f"ours_over_{name}": round(ours / r["page_open"]["cpu_ms_to_first_point"], 2)
        for name, r in results["variants"].items() if name != "brownian_panel"}
    return results


def markdown(result: dict) -> str:
    m, o = result["machine"], result["options"]
    lines = [
        f"Machine: {m['cores']} cores, {m['ram_gib']} GiB RAM, Python {m['python']}, "
        f"Panel {m['panel']}, Bokeh {m['bokeh']}. Clients and server share the cores.", "",
        f"Page open ({o['pages']} pages one at a time after 3 warm-up pages, one point every "
        "500 ms; server CPU, medians):", "",
        "| server | CPU ms, GET → first point | CPU ms, whole page | wall ms, GET → first point |",
        "|---|---|---|---|"]
    for name, r in result["variants"].items():
        p = r["page_open"]
        lines.append(f"| {name} | {p['cpu_ms_to_first_point']} | {p['cpu_ms_whole_page']} | "
                     f"{p['wall_ms_to_first_point']} |")
    lines += ["", "Ours over the baselines (CPU to first point): " + ", ".join(
        f"{k} = {v}" for k, v in result["page_open_ratios"].items()), "",
        f"Arrivals: {o['sessions']} pages opened {o['spacing_ms']} ms apart, one point every "
        f"{o['period']} ms, delivery counted over the {o['after_s']} s after the last GET:", "",
        "| server | first point p50 (s) | p99 (s) | max (s) | within 5 s | delivered / due "
        "| errors | server CPU (s) |", "|---|---|---|---|---|---|---|---|"]
    for name, r in result["variants"].items():
        a = r["arrivals"]
        lines.append(f"| {name} | {a['first_point_s_p50']} | {a['first_point_s_p99']} | "
                     f"{a['first_point_s_max']} | {a['within_5_s']}/{a['sessions']} | "
                     f"{a['delivered_over_due']:.1%} | {a['errors']} | {a['server_cpu_s']} |")
    lines += ["", f"First page in headless Chromium (navigation start → first point drawn, "
              f"median of {o['loads']} loads after one):", "",
              "| server | median (ms) | max (ms) |", "|---|---|---|"]
    for name, r in result["variants"].items():
        c = r["chromium"]
        lines.append(f"| {name} | {c['first_point_drawn_ms_median']} | "
                     f"{c['first_point_drawn_ms_max']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks arrivals", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--spacing-ms", type=float, default=20.0)
    parser.add_argument("--period", type=int, default=100, help="ms between updates")
    parser.add_argument("--after-s", type=float, default=10.0)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--smoke", action="store_true", help="a seconds-long harness check")
    options = parser.parse_args(argv)
    if "brownian_panel" not in options.variants:
        parser.error("brownian_panel is always needed")
    if options.smoke:  # 3 cold pages take ~1 s to a first point here: a window past that
        options.pages, options.sessions, options.after_s, options.loads = 1, 3, 4.0, 1
    result = run(options)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "arrivals.json").write_text(json.dumps(result, indent=2) + "\n")
    (options.out / "arrivals.md").write_text(markdown(result))
    print(markdown(result))
