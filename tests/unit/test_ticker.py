"""The shared timer: one per period, every registered stream ticked, weakly held."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from tornado.ioloop import IOLoop

from brownian_panel.runtime.ticker import Ticker, ticker_for


class Counter:
    def __init__(self, fail: bool = False):
        self.ticks = 0
        self.fail = fail

    def tick(self) -> None:
        self.ticks += 1
        if self.fail:
            raise ZeroDivisionError("bad tick")


def _run(coroutine_function):
    return asyncio.run(coroutine_function())


def test_streams_of_one_period_share_one_timer():
    async def scenario():
        ticker = Ticker()
        a, b, c = Counter(), Counter(), Counter()
        ticker.add(a, 20)
        ticker.add(b, 20)
        ticker.add(c, 50)
        assert ticker.periods() == {20: 2, 50: 1}
        await asyncio.sleep(0.33)
        for stream in (a, b, c):
            ticker.remove(stream, 50 if stream is c else 20)
        assert ticker.periods() == {}
        return a.ticks, b.ticks, c.ticks

    a, b, c = _run(scenario)
    assert 8 <= a <= 17 and 8 <= b <= 17, (a, b)
    assert 3 <= c <= 7, c


def test_removed_stream_is_not_ticked_and_idle_timer_stops():
    async def scenario():
        ticker = Ticker()
        a, b = Counter(), Counter()
        ticker.add(a, 20)
        ticker.add(b, 20)
        await asyncio.sleep(0.1)
        ticker.remove(a, 20)
        frozen = a.ticks
        await asyncio.sleep(0.1)
        assert a.ticks == frozen
        assert b.ticks > frozen
        ticker.remove(b, 20)
        assert ticker.periods() == {}
        stopped = b.ticks
        await asyncio.sleep(0.1)
        assert b.ticks == stopped

    _run(scenario)


@pytest.mark.logs_traceback  # a stream whose tick fails is logged with its traceback
def test_a_failing_stream_is_logged_and_the_others_go_on(caplog):
    async def scenario():
        ticker = Ticker()
        bad, good = Counter(fail=True), Counter()
        ticker.add(bad, 20)
        ticker.add(good, 20)
        await asyncio.sleep(0.15)
        ticker.remove(bad, 20)
        ticker.remove(good, 20)
        return bad.ticks, good.ticks

    with caplog.at_level(logging.ERROR, logger="brownian_panel.runtime.ticker"):
        bad, good = _run(scenario)
    assert bad >= 3 and good >= 3
    assert "a stream's tick failed" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_streams_are_held_weakly():
    async def scenario():
        ticker = Ticker()
        stream = Counter()
        ticker.add(stream, 20)
        del stream
        gc.collect()
        await asyncio.sleep(0.08)
        return ticker.periods()

    assert _run(scenario) == {}


def test_one_ticker_per_event_loop():
    async def current():
        return ticker_for()

    async def both():
        return ticker_for(), ticker_for(IOLoop.current())

    first, again = _run(both)
    assert first is again
    assert _run(current) is not first
