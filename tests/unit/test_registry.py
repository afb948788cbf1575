"""``runtime.registry``: every process-wide object is listed, and the per-loop ones are
dropped and released once their event loop is closed."""

from __future__ import annotations

import asyncio

from tornado.ioloop import IOLoop

from brownian_panel.feed.hub import feed_for
from brownian_panel.runtime import registry
from brownian_panel.runtime.registry import PerLoop
from brownian_panel.runtime.ticker import ticker_for


def _on_a_new_loop(build):
    """Run ``build()`` on a fresh event loop; returns (its IOLoop, the result, the asyncio loop)."""
    loop = asyncio.new_event_loop()

    async def inside():
        return IOLoop.current(), build()

    ioloop, result = loop.run_until_complete(inside())
    return ioloop, result, loop


def test_a_closed_loops_ticker_and_shared_feed_are_dropped_and_the_feed_stopped():
    ioloop, feed, loop = _on_a_new_loop(lambda: feed_for(period=50, batch=1))
    assert feed.running and feed_for(ioloop, period=50, batch=1) is feed
    ticker = ticker_for(ioloop)
    assert ticker.periods() == {50: 1, 1000: 1}  # the path, and the viewer count
    assert registry.TICKERS.holds(ioloop) and registry.SHARED_FEEDS.holds(ioloop)
    loop.close()
    registry.TICKERS.release_closed()
    registry.SHARED_FEEDS.release_closed()
    assert not feed.running
    assert ticker_for(IOLoop.current()) is not ticker
    assert not registry.TICKERS.holds(ioloop) and not registry.SHARED_FEEDS.holds(ioloop)


def test_an_open_loop_keeps_its_objects_and_each_is_made_once():
    released = []
    per_loop = PerLoop("things", key="event loop", lifecycle="-", release=released.append)
    ioloop, _, loop = _on_a_new_loop(lambda: None)
    first, made = per_loop.get(ioloop, object)
    again, made_again = per_loop.get(ioloop, object)
    other, _ = per_loop.get(ioloop, object, key="other")
    assert made and not made_again and again is first and other is not first
    assert per_loop.release_closed() == 0 and len(per_loop) == 2
    loop.close()
    assert per_loop.release_closed() == 2 and len(per_loop) == 0
    assert sorted(map(id, released)) == sorted(map(id, (first, other)))


def test_every_process_wide_object_is_listed_once():
    names = [name for name, _key, _lifecycle in registry.PROCESS_STATE]
    assert len(names) == len(set(names))
    for per_loop in (registry.TICKERS, registry.SHARED_FEEDS, registry.REDIS_FEEDS):
        assert (per_loop.name, per_loop.key, per_loop.lifecycle) in registry.PROCESS_STATE
    assert all(key and lifecycle for _name, key, lifecycle in registry.PROCESS_STATE)
