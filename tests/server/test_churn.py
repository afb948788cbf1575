"""Sessions opened and closed in waves leave no timer running and no memory behind."""

from __future__ import annotations

import html
import json
import os
import re
import time
import urllib.request

import pytest

from ..conftest import PYTHON, REPO_ROOT
from ..helpers import LiveClient, wait_until


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _timers(base: str) -> dict[str, int]:
    """The server process's shared timers, {period: streams}, read from the test-only app."""
    page = urllib.request.urlopen(f"{base}/ticker_periods").read().decode()
    return json.loads(html.unescape(re.search(r"<title>periods (.*?)</title>", page).group(1)))


def _wave(url: str, size: int, base: str) -> None:
    # Opened one after the other, then loaded together: their later parts built meanwhile.
    clients = [LiveClient(url, {"period": "50"}, whole=False) for _ in range(size)]
    try:
        for client in clients:
            client.load()
        for client in clients:
            client.wait_whole(timeout=60)
        wait_until(lambda: all(client.points >= 2 for client in clients), timeout=30)
        # One shared timer ticks this wave (and what is left of the last one).
        timers = _timers(base)
        assert list(timers) == ["50"] and timers["50"] >= size, timers
    finally:
        for client in clients:
            client.close()


@pytest.mark.timeout(600)  # 400 sessions of about 0.6 s each to build and pull, and 2 x 12 s
def test_200_sessions_in_waves_leave_no_timer_and_rss_within_10_percent(start_process):
    base = start_process(lambda port: [
        PYTHON, "-m", "panel", "serve", str(REPO_ROOT / "apps" / "brownian.py"),
        str(REPO_ROOT / "tests" / "apps" / "ticker_periods.py"), "--port", str(port),
        "--address", "127.0.0.1", "--check-unused-sessions", "500",
        "--unused-session-lifetime", "3000"])
    pid = start_process.processes[-1].pid
    url = f"{base}/brownian"
    # A cold server's RSS rises over its first sessions to the allocator's high-water mark for
    # the concurrent sessions (waves overlap: closed sessions live 3 s more), measured
    # 87.7 -> 125.2 MiB; five further churns of 100 moved it +1.8% in all. After a warm-up of
    # 100 sessions a CI run still saw the next 200 lift it 142.0 -> 157.7 MiB where a local run
    # of the same commit went 156.5 -> 152.6: the mark is not always reached by then. So 200
    # sessions first, as the 200 whose RSS must come back within 10%.
    for _ in range(10):
        _wave(url, 20, base)
    wait_until(lambda: _timers(base) == {}, timeout=20)
    time.sleep(12)  # Panel collects garbage 10 s after the last session ended
    before = _rss(pid)
    for _ in range(10):
        _wave(url, 20, base)
    # Closed sessions end after the 3 s unused-session lifetime; their timer stops with them.
    wait_until(lambda: _timers(base) == {}, timeout=20)
    time.sleep(12)
    after = _rss(pid)
    print(f"\nchurn of 200 sessions: server RSS {before / 2**20:.1f} -> {after / 2**20:.1f} MiB")
    assert after <= 1.10 * before, f"RSS {before / 2**20:.1f} -> {after / 2**20:.1f} MiB"
