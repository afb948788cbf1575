"""The throttle answers a first change at once and a drag at a bounded rate, last value wins."""

from __future__ import annotations

from brownian_panel.driver.throttle import Throttle


class _Clock:
    def __init__(self):
        self.now, self.scheduled = 0.0, []

    def __call__(self) -> float:
        return self.now

    def call_later(self, delay: float, callback) -> None:
        self.scheduled.append((self.now + delay, callback))

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [entry for entry in self.scheduled if entry[0] <= self.now]
        self.scheduled = [entry for entry in self.scheduled if entry[0] > self.now]
        for _when, callback in due:
            callback()


def test_first_value_at_once_then_at_most_one_per_interval_with_the_latest():
    clock, applied = _Clock(), []
    throttle = Throttle(0.05, applied.append, clock.call_later, clock)
    throttle(0.1)
    assert applied == [0.1]  # no wait for the first change
    for step in range(1, 31):  # a drag: a value every 5 ms for 150 ms
        clock.advance(0.005)
        throttle(round(0.1 + step * 0.01, 2))
    clock.advance(0.1)
    assert applied[-1] == 0.4  # the last value is applied
    assert len(applied) <= 1 + 150 // 50 + 1  # at most one per 50 ms
    assert applied == sorted(applied)


def test_a_value_after_a_quiet_interval_is_applied_at_once():
    clock, applied = _Clock(), []
    throttle = Throttle(0.05, applied.append, clock.call_later, clock)
    throttle(1.0)
    clock.advance(0.2)
    throttle(2.0)
    assert applied == [1.0, 2.0] and not clock.scheduled
