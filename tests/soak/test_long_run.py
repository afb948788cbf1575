"""Minutes at a high rate: server memory and the browser's points stay bounded by the window.

``BROWNIAN_SOAK_SECONDS`` sets the length (default 180 s).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from ..apps.process_state import rss_bytes
from ..browser.conftest import browser_last_x, browser_points, browser_tail
from ..helpers import wait_until

SOAK_SECONDS = float(os.environ.get("BROWNIAN_SOAK_SECONDS", "180"))
WINDOW, BATCH, PERIOD_MS = 100_000, 1_000, 50  # 20,000 points/s, the window full after 5 s
HISTORY = 200_000  # the History plot's cap: full after 10 s, then whole chunks are dropped


def _rss_mib(pid: int) -> float:
    return rss_bytes(pid) / 2**20


@pytest.mark.timeout(SOAK_SECONDS + 240)
def test_minutes_at_20000_points_per_second_stay_bounded(start_process, open_page):
    from ..conftest import PYTHON

    base = start_process(lambda port: [PYTHON, "-m", "brownian_panel", "--port", str(port)])
    pid = start_process.processes[-1].pid
    page = open_page(f"{base}/brownian?batch={BATCH}&period={PERIOD_MS}&window={WINDOW}"
                     f"&history={HISTORY}")
    wait_until(lambda: browser_points(page) == WINDOW, timeout=60)
    warm = time.monotonic() + 30  # allocations of a full window on both sides have settled
    start = time.monotonic()
    samples = []
    while time.monotonic() - start < SOAK_SECONDS:
        time.sleep(5)
        points, last_x = browser_tail(page)
        samples.append({
            "t_s": round(time.monotonic() - start), "server_rss_mib": round(_rss_mib(pid), 1),
            "browser_points": points, "last_x": last_x,
            "browser_heap_mib": round(page.evaluate(
                "() => performance.memory.usedJSHeapSize") / 2**20, 1),
            "warm": time.monotonic() >= warm})
    last_x = browser_last_x(page)
    print("\nsoak samples:", json.dumps(samples))
    assert all(sample["browser_points"] == WINDOW for sample in samples)
    expected_steps = 1000 / PERIOD_MS * BATCH * SOAK_SECONDS
    assert last_x >= 0.5 * expected_steps, f"{last_x} steps of {expected_steps:.0f} expected"
    warm_rss = [sample["server_rss_mib"] for sample in samples if sample["warm"]]
    assert max(warm_rss) <= 1.10 * warm_rss[0], warm_rss
