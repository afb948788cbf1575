"""``Refresher`` with a frames cache: due on the clock's multiples of its interval (the same
moments for every page), at once the first time; a refresh that stood in for an update's does
not push the updates that follow off their schedule; in-step pages decide at one moment."""

from __future__ import annotations

import contextlib
import math

import pytest

from brownian_panel.driver import refresher as refresher_module
from brownian_panel.driver import wire as wire_module
from brownian_panel.driver.gate import Write
from brownian_panel.driver.refresher import Refresher
from brownian_panel.driver.wire import FramesCache


def test_with_a_cache_refreshes_are_due_on_the_clocks_multiples():
    refresher = Refresher(lambda: None, None, 0.25, cache=FramesCache())
    assert refresher._next_due() == -math.inf  # never refreshed: due now
    refresher._due_from = 10.3
    assert refresher._next_due() == 10.5
    assert not refresher._due(10.49) and refresher._due(10.5)
    plain = Refresher(lambda: None, None, 0.25)
    plain._due_from = 10.3
    assert plain._next_due() == 10.55


class _Clock:
    """A clock and a loop's timers, advanced by hand."""

    def __init__(self, now: float):
        self.now = now
        self.timers: list[list] = []

    def monotonic(self) -> float:
        return self.now

    def call_later(self, delay: float, callback) -> list:
        timer = [self.now + delay, callback]
        self.timers.append(timer)
        return timer

    def remove_timeout(self, timer: list) -> None:
        self.timers.remove(timer)

    def run_until(self, until: float) -> None:
        """Run the timers due up to ``until`` in order, then set the clock to it."""
        while self.timers and min(timer[0] for timer in self.timers) <= until:
            timer = min(self.timers, key=lambda timer: timer[0])
            self.timers.remove(timer)
            self.now = timer[0]
            timer[1]()
        self.now = until


def _in_session(monkeypatch, clock: _Clock) -> tuple[_Clock, list[bool]]:
    """Refreshers run on ``clock`` as in a server session whose client reads; the returned
    flag says whether an update's write is open."""
    writing = [False]
    monkeypatch.setattr(refresher_module, "time", clock)
    monkeypatch.setattr(wire_module, "time", clock)
    monkeypatch.setattr(refresher_module, "server_loop", lambda doc: clock)
    monkeypatch.setattr(refresher_module, "gathering", lambda doc: writing[0])
    monkeypatch.setattr(refresher_module, "hand_to_loop", lambda *args: False)
    monkeypatch.setattr(refresher_module, "decide", lambda *args: Write.NOW)
    monkeypatch.setattr(refresher_module, "one_write", lambda *args: contextlib.nullcontext())
    monkeypatch.setattr(refresher_module.compat, "direct_writes", lambda: True)
    return clock, writing


def test_a_refresh_that_stood_in_for_an_update_does_not_push_the_next_ones_off(monkeypatch):
    # A shared History (0.25 s, on the clock's multiples) at the default 2 Hz, made at 10.40
    # s: its first update is not due, the timer standing in for it fires before the next
    # update. That update, and every later one, must refresh in its own write (one message
    # an update, shared with the other pages), not wait for a timer again.
    clock, writing = _in_session(monkeypatch, _Clock(10.40))
    runs = []
    refresher = Refresher(lambda: runs.append((clock.now, writing[0])), object(), 0.25,
                          cache=FramesCache())
    refresher.request(urgent=True)  # drawn when made
    updates = [10.45 + 0.5 * n for n in range(20)]
    for at in updates:
        clock.run_until(at)
        writing[0] = True
        refresher.request()
        writing[0] = False
    clock.run_until(updates[-1] + 2)
    in_writes = [at for at, in_update in runs if in_update]
    assert in_writes == updates[1:], runs
    # Besides: the first drawing, the timer that stood in for the first update, and one more
    # after the last update (a stream that stopped gets its last refresh all the same).
    assert len(runs) - len(in_writes) <= 3, runs


def test_in_step_pages_whose_pass_straddles_a_due_time_refresh_at_the_same_update(monkeypatch):
    # A shared History (0.25 s) on two in-step pages at 10 Hz; the second page is written 45 ms
    # after the first, so some passes straddle a due time (10.21 / 10.255). Both decide at the
    # moment the first wrote the update: they refresh in the same updates (one shared message).
    clock, writing = _in_session(monkeypatch, _Clock(10.0))
    cache, update = FramesCache(), [None]
    runs: list[set] = [set(), set()]
    pages = [Refresher(lambda page=page: writing[0] and runs[page].add(update[0]), object(),
                       0.25, cache=cache) for page in (0, 1)]
    for number in range(30):
        for page, refresher in enumerate(pages):
            clock.run_until(10.01 + 0.1 * number + 0.045 * page)
            update[0] = number
            writing[0] = True
            cache.moment(("live", 0, number, number + 1))  # as PathStream does before its views
            refresher.request()
            writing[0] = False
    assert len(runs[0]) >= 10 and runs[0] == runs[1], runs
    assert cache.moment(None) and cache.now is None  # a page's own update: the clock now


def test_a_refresh_that_finds_the_session_busy_backs_off_and_runs_once_it_is_free(monkeypatch):
    clock, _writing = _in_session(monkeypatch, _Clock(0.0))
    asked, busy_until = [], [0.2]

    def decide(*args):
        asked.append(clock.now)
        return Write.LOCKED if clock.now < busy_until[0] else Write.NOW

    monkeypatch.setattr(refresher_module, "decide", decide)
    runs = []
    refresher = Refresher(lambda: runs.append(clock.now), object(), 1.0)
    refresher.request(urgent=True)
    clock.run_until(0.5)
    # Retried 0.5 ms after, then twice as long each time up to 50 ms (not every 0.5 ms: 400
    # tries), and run within 50 ms of the session being free.
    assert asked[1] - asked[0] == pytest.approx(refresher_module.BUSY_RETRY_INTERVAL)
    gaps = [later - earlier for earlier, later in zip(asked, asked[1:], strict=False)]
    assert max(gaps) == pytest.approx(refresher_module.BUSY_RETRY_MAX), asked
    assert len(asked) <= 12, asked
    assert len(runs) == 1 and 0.2 <= runs[0] <= 0.2 + refresher_module.BUSY_RETRY_MAX
    # The next busy spell starts from the short interval again.
    asked.clear()
    busy_until[0] = 0.6
    refresher.request(urgent=True)
    clock.run_until(1.0)
    assert asked[1] - asked[0] == pytest.approx(refresher_module.BUSY_RETRY_INTERVAL)
    assert len(runs) == 2
