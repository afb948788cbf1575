"""The queue of page parts built after the first point: order, readiness, pacing, opening
pages first, cancel, failures and documents that never run a part."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from tornado.ioloop import IOLoop

from brownian_panel.runtime import later as later_module
from brownian_panel.runtime.later import LaterQueue


class Doc:
    """Runs a next-tick callback on the loop soon, as a session does (late when busy, never
    when ended)."""

    def __init__(self, runs: bool = True, late_s: float = 0.0):
        self.runs = runs
        self.late_s = late_s

    def add_next_tick_callback(self, callback) -> None:
        if self.runs:
            IOLoop.current().call_later(self.late_s, callback)


def _run(scenario):
    return asyncio.run(scenario())


def test_parts_wait_for_their_page_and_run_in_order_paced():
    async def scenario():
        queue = LaterQueue(IOLoop.current())
        shown = {"a": False}
        done: list[tuple[str, float]] = []

        def build(name, seconds=0.0):
            def run():
                time.sleep(seconds)
                done.append((name, time.monotonic()))
            return run

        queue.add(Doc(), build("a1", 0.05), lambda: shown["a"])
        queue.add(Doc(), build("b1"), lambda: True)
        queue.add(Doc(), build("b2"), lambda: True)
        await asyncio.sleep(0.15)
        early = [name for name, _ in done]
        shown["a"] = True
        await asyncio.sleep(0.4)
        return early, done, queue

    early, done, queue = _run(scenario)
    assert early == ["b1", "b2"]  # a1 waits for its first point; the others go on
    assert [name for name, _ in done] == ["b1", "b2", "a1"]
    assert queue.built == 3 and len(queue) == 0


def test_a_part_waits_after_a_long_one_and_while_pages_open():
    async def scenario():
        queue = LaterQueue(IOLoop.current())
        times: list[float] = []

        def slow():
            time.sleep(0.1)
            times.append(time.monotonic())

        start = time.monotonic()
        queue.page_opened()
        queue.add(Doc(), slow, lambda: True)
        queue.add(Doc(), lambda: times.append(time.monotonic()), lambda: True)
        await asyncio.sleep(0.6)
        return start, times

    start, times = _run(scenario)
    assert times[0] - start >= later_module.QUIET_S + 0.1  # after the quiet time, then 0.1 s
    assert times[1] - times[0] >= 0.1  # the loop had as long again to itself


@pytest.mark.logs_traceback  # a part whose build fails is logged with its traceback
def test_cancelled_failed_and_never_run_parts_do_not_hold_the_queue(monkeypatch, caplog):
    monkeypatch.setattr(later_module, "GIVE_UP_S", 0.2)

    async def scenario():
        queue = LaterQueue(IOLoop.current())
        done: list[str] = []
        cancelled = queue.add(Doc(), lambda: done.append("cancelled"), lambda: True)
        queue.cancel(cancelled)
        queue.add(Doc(runs=False), lambda: done.append("ended session"), lambda: True)
        queue.add(Doc(), lambda: 1 / 0, lambda: True)
        queue.add(Doc(), lambda: done.append("last"), lambda: True)
        await asyncio.sleep(0.6)
        return done, queue

    with caplog.at_level(logging.ERROR, logger="brownian_panel.runtime.later"):
        done, queue = _run(scenario)
    assert done == ["last"] and len(queue) == 0
    assert "building a part of a page failed" in caplog.text


def test_a_part_cancelled_once_handed_to_its_page_does_not_hold_the_queue(monkeypatch):
    # The queue gives up on a part's document after GIVE_UP_S: the next part must come long
    # before that (wall-clock bounds with room for a loaded machine).
    monkeypatch.setattr(later_module, "GIVE_UP_S", 5.0)

    async def scenario():
        queue = LaterQueue(IOLoop.current())
        done: list[tuple[str, float]] = []
        start = time.monotonic()
        # Handed to its document at once, which runs it 0.2 s later: released meanwhile.
        released = queue.add(Doc(late_s=0.2), lambda: done.append(("released", 0.0)),
                             lambda: True)
        queue.add(Doc(), lambda: done.append(("next", time.monotonic() - start)), lambda: True)
        await asyncio.sleep(0.05)
        queue.cancel(released)
        while not done and time.monotonic() - start < 4.0:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the released part's document runs it now: nothing built
        return done

    done = _run(scenario)
    assert [name for name, _ in done] == ["next"], done
    assert done[0][1] < 2.5, done  # not after GIVE_UP_S (measured 0.2 s: after QUIET_S)


def test_a_part_of_a_busy_session_is_built_late_without_holding_the_others(monkeypatch):
    monkeypatch.setattr(later_module, "GIVE_UP_S", 0.2)

    async def scenario():
        queue = LaterQueue(IOLoop.current())
        done: list[str] = []
        # Its session runs the part's callback only after the queue has given up waiting.
        queue.add(Doc(late_s=0.5), lambda: done.append("busy"), lambda: True)
        queue.add(Doc(), lambda: done.append("next"), lambda: True)
        await asyncio.sleep(1.0)
        return done, queue

    done, queue = _run(scenario)
    assert done == ["next", "busy"]  # the next page did not wait; the busy one was not dropped
    assert queue.built == 2 and len(queue) == 0


class FollowUpLate(Doc):
    """Runs a part's build at once and what follows it (queued after the build) late."""

    def __init__(self, late_s: float):
        super().__init__()
        self.calls = 0
        self.follow_late_s = late_s

    def add_next_tick_callback(self, callback) -> None:
        self.calls += 1
        IOLoop.current().call_later(0.0 if self.calls == 1 else self.follow_late_s, callback)


def test_a_part_given_up_on_says_what_it_waited_for(monkeypatch, caplog):
    monkeypatch.setattr(later_module, "GIVE_UP_S", 0.2)

    async def scenario():
        queue = LaterQueue(IOLoop.current())
        done: list[str] = []
        queue.add(Doc(runs=False), lambda: done.append("never"), lambda: True)
        queue.add(FollowUpLate(0.5), lambda: done.append("built"), lambda: True)
        queue.add(Doc(), lambda: done.append("last"), lambda: True)
        await asyncio.sleep(1.2)
        return done

    with caplog.at_level(logging.INFO, logger="brownian_panel.runtime.later"):
        done = _run(scenario)
    assert done == ["built", "last"]
    waits = [record.getMessage() for record in caplog.records if "waited" in record.getMessage()]
    assert waits == [
        "a page part waited 0.2 s for its session to run it; the other pages' parts go on",
        "a page part waited 0.2 s for its session's callbacks queued meanwhile to run; the other "
        "pages' parts go on"]
