"""The shared feed's ring: every subscriber reads each point once, in order, whenever it reads."""

from __future__ import annotations

import threading

import numpy as np

from brownian_panel.feed.hub import SharedFeed
from brownian_panel.model.walk import BrownianMotion


class _Reader:
    """A subscriber that reads only when it chooses to (a busy or slow session)."""

    def __init__(self, feed: SharedFeed, eager: bool = True):
        self.feed, self.eager = feed, eager
        self.run, whole, x, y = feed.since(-1, 0)
        self.x, self.y = list(x), list(y)
        self.offers = 0
        feed.subscribe(self)

    def offer(self):
        self.offers += 1
        if self.eager:
            self.read()

    def read(self):
        run, whole, x, y = self.feed.since(self.run, int(self.x[-1]) if self.x else 0)
        if whole:
            self.x, self.y = [], []
        self.run = run
        self.x += list(x)
        self.y += list(y)
        del self.x[:-self.feed.window], self.y[:-self.feed.window]


def _feed(**params) -> SharedFeed:
    return SharedFeed(BrownianMotion(seed=5, window=100, **params))


def test_readers_see_every_point_once_in_order_however_often_they_read():
    feed = _feed(batch=7)
    eager, lazy = _Reader(feed), _Reader(feed, eager=False)
    for feed.model.batch in (7, 1, 3, 30):
        for tick in range(20):
            feed.tick()
            if tick % 5 == 0:
                lazy.read()  # coalesced: several updates at once
    lazy.read()
    late = _Reader(feed)  # joins now: the backlog, the last window
    feed.tick()
    lazy.read()
    steps = feed.model.steps
    for reader in (eager, lazy, late):
        assert reader.x == list(range(steps - 99, steps + 1))  # no gap, no duplicate
        assert reader.y == eager.y
    assert eager.offers == lazy.offers == 81 and late.offers == 1  # 4 x 20 updates + 1


def test_a_reader_more_than_a_window_behind_replaces_what_it_shows():
    feed = _feed(batch=30)
    reader = _Reader(feed, eager=False)
    for _ in range(5):
        feed.tick()
    run, whole, x, y = feed.since(reader.run, 10)
    assert whole and x.tolist() == list(range(51, 151))


def test_readers_in_step_share_one_answer_and_never_an_old_one():
    feed = _feed(batch=3)
    feed.tick()
    first = feed.since(0, 0)
    assert feed.since(0, 0) is first  # the second in-step reader: no copy made again
    assert feed.since(0, 1) is not first and feed.since(0, 1)[2].tolist() == [2.0, 3.0]
    feed.tick()  # new points: the same question has a new answer
    assert feed.since(0, 0)[2].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    feed.model.reset()
    feed.tick()
    run, whole, x, _ = feed.since(0, 0)
    assert (run, whole, x.tolist()) == (1, True, [1.0, 2.0, 3.0])


def test_reset_and_pause():
    feed = _feed(batch=10)
    reader = _Reader(feed)
    feed.tick()
    feed.model.reset()  # told at once, paused or not: every plot empties
    assert reader.x == [] and reader.offers == 2
    feed.model.paused = True
    feed.tick()
    assert feed.model.steps == 0 and reader.offers == 2
    feed.model.paused = False
    feed.tick()
    assert reader.x == list(range(1, 11))


def test_an_update_larger_than_the_window_keeps_its_last_points():
    feed = _feed(batch=250)
    feed.tick()
    run, whole, x, y = feed.since(-1, 0)
    assert x.tolist() == list(range(151, 251)) and len(y) == 100


def test_reads_from_another_thread_are_consistent():
    feed = _feed(batch=13)
    stop, problems = threading.Event(), []

    def read():
        while not stop.is_set():
            run, whole, x, y = feed.since(-1, 0)
            if len(x) and not np.array_equal(x, np.arange(x[0], x[0] + len(x))):
                problems.append(x)

    thread = threading.Thread(target=read)
    thread.start()
    for _ in range(2000):
        feed.tick()
    stop.set()
    thread.join()
    assert problems == []


def test_unsubscribed_readers_are_not_told():
    feed = _feed()
    reader = _Reader(feed)
    feed.tick()
    feed.unsubscribe(reader)
    feed.tick()
    assert reader.offers == 1 and feed.subscribers == 0


def test_feed_for_makes_one_feed_per_loop_with_its_settings():
    import pytest
    from tornado.ioloop import IOLoop

    from brownian_panel.feed.hub import feed_for

    loop = IOLoop(make_current=False)
    try:
        feed = feed_for(loop, period=100, batch=5, window=500, seed=7)
        assert (feed.model.period, feed.model.batch, feed.model.window, feed.window,
                feed.model.seed) == (100, 5, 500, 500, 7)
        assert feed_for(loop, period=100, batch=5) is feed
        assert feed_for(loop) is feed
        with pytest.raises(ValueError, match="made with"):
            feed_for(loop, batch=6)
        other = IOLoop(make_current=False)
        try:
            with pytest.raises(ValueError):
                feed_for(other, period=0)  # out of bounds: no feed made
            assert feed_for(other) is not feed
        finally:
            feed_for(other).stop()
            other.close()
    finally:
        feed.stop()
        loop.close()
