"""One timer per period for every stream of a server process, instead of one per session.

Design notes: docs/architecture.md, "runtime/ticker.py".
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import Protocol

from tornado.ioloop import IOLoop, PeriodicCallback

from .registry import TICKERS

log = logging.getLogger(__name__)


def _runs_here(loop: IOLoop) -> bool:
    """Whether ``loop`` is this thread's IOLoop (asked often: the running asyncio loop first,
    which is cheap; ``IOLoop.current`` only when none runs)."""
    try:
        return asyncio.get_running_loop() is getattr(loop, "asyncio_loop", None)
    except RuntimeError:
        return IOLoop.current(instance=False) is loop


def hand_to_loop(loop: IOLoop, callback: Callable[..., object], *args: object) -> bool:
    """Schedule ``callback(*args)`` on ``loop`` unless this is its thread; returns whether it
    was handed over (False: the caller runs it now)."""
    if _runs_here(loop):
        return False
    loop.add_callback(callback, *args)
    return True


class Tickable(Protocol):
    def tick(self) -> None: ...


class Ticker:
    """Calls ``tick()`` on registered streams, one shared timer per period (milliseconds)."""

    def __init__(self, loop: IOLoop | None = None) -> None:
        #: The loop whose timers tick the streams.
        self.loop = loop if loop is not None else IOLoop.current()
        self._timers: dict[int, PeriodicCallback] = {}
        self._streams: dict[int, weakref.WeakSet[Tickable]] = {}

    def add(self, stream: Tickable, period: int) -> None:
        """Tick ``stream`` every ``period`` ms, on the timer of all streams of that period."""
        if hand_to_loop(self.loop, self.add, stream, period):
            return
        streams = self._streams.setdefault(period, weakref.WeakSet())
        streams.add(stream)
        if period not in self._timers:
            timer = PeriodicCallback(lambda: self._tick(period), period)
            self._timers[period] = timer
            timer.start()

    def remove(self, stream: Tickable, period: int) -> None:
        """Stop ticking ``stream`` at ``period``; a timer with no stream left stops."""
        if hand_to_loop(self.loop, self.remove, stream, period):
            return
        streams = self._streams.get(period)
        if streams is not None:
            streams.discard(stream)
        self._stop_if_idle(period)

    def periods(self) -> dict[int, int]:
        """Running timers: period (ms) -> number of streams it ticks."""
        return {period: len(self._streams.get(period, ())) for period in self._timers}

    def _tick(self, period: int) -> None:
        for stream in list(self._streams.get(period, ())):
            try:
                stream.tick()
            except Exception:
                log.exception("a stream's tick failed; the other streams go on")
        self._stop_if_idle(period)

    def _stop_if_idle(self, period: int) -> None:
        if not self._streams.get(period) and period in self._timers:
            self._timers.pop(period).stop()
            self._streams.pop(period, None)


def ticker_for(loop: IOLoop | None = None) -> Ticker:
    """The ticker of ``loop`` (default: the current thread's IOLoop), created on first use
    (``registry.TICKERS``: pages built at once on worker threads share one)."""
    loop = loop if loop is not None else IOLoop.current()
    return TICKERS.get(loop, lambda: Ticker(loop))[0]
