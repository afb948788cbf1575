"""The shared feed: one producer per process, every session shows the same path.

Design notes: docs/architecture.md, "feed/hub.py".
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Protocol

import numpy as np
import param
from tornado.ioloop import IOLoop

from ..model.record import Record
from ..model.validation import check_all
from ..model.walk import BrownianMotion
from ..runtime.registry import SHARED_FEEDS, loop_closed
from ..runtime.ticker import ticker_for

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    def offer(self) -> None: ...

    def idle(self) -> None: ...


#: Milliseconds between two checks of the number of viewers (each is told when it changed)
#: and of a feed that offered nothing (its subscribers are told: ``SharedFeed.tell_idle``).
VIEWER_COUNT_PERIOD = 1000


class _EverySecond:
    """Ticked once a second: tells the viewer-count watchers when the number of subscribers
    changed (a paused feed's viewers too), and every subscriber when the feed offered nothing
    since the last tick (paused, or cut off from its producer: ``SharedFeed.tell_idle``)."""

    def __init__(self, feed: SharedFeed):
        self._feed = weakref.ref(feed)
        self.told = 0
        self._offers = -1

    def tick(self) -> None:
        feed = self._feed()
        if feed is None:
            return
        if feed.subscriptions != self.told:  # also 2 -> 1 -> 2 viewers
            self.told = feed.subscriptions
            for callback in list(feed._viewer_watchers):
                try:
                    callback()
                except Exception:
                    log.exception("a viewer-count watcher failed; the others go on")
        if feed.offers == self._offers:
            feed.tell_idle()
        self._offers = feed.offers


class SharedFeed:
    """One path drawn for every subscriber of a process (see the module doc)."""

    def __init__(self, model: BrownianMotion | None = None, loop: IOLoop | None = None):
        #: The shared model: its controls are global.
        self.model = model if model is not None else BrownianMotion()
        #: The History, statistics and paths every viewer shows (made before the feed watches
        #: the model: a restart clears it before the viewers are told).
        self.record: Record | None = Record(self.model)
        self._loop = loop  # the server's, known when started
        self._lock = threading.RLock()
        self._subscribers: set[Subscriber] = set()
        self._x = np.empty(self.model.window)
        self._y = np.empty(self.model.window)
        self._held = 0  # points in the ring
        self._last = 0  # step of the last point in the ring, at slot (last - 1) % window
        self._run = 0  # runs shown so far: a subscriber showing another must start afresh
        self._since: tuple[tuple | None, tuple] = (None, ())  # the last answer of ``since``
        self._period: int | None = None
        self.updates = 0
        #: Subscriptions and unsubscriptions so far (the viewer count changed if it grew).
        self.subscriptions = 0
        #: Times the subscribers were offered news so far (``notify``).
        self.offers = 0
        self._every_second = _EverySecond(self)
        self._viewer_watchers: list[Callable[[], None]] = []
        self._watchers = [self.model.param.watch(self._on_run, "run"),
                          self.model.param.watch(self._on_period, "period")]

    # -- producing ------------------------------------------------------------------------

    def start(self) -> None:
        """Draw an update every ``model.period`` ms on the loop's shared timer (idempotent)."""
        if self._period is None:
            self._loop = self._loop if self._loop is not None else IOLoop.current()
            self._period = self.model.period
            ticker_for(self._loop).add(self, self._period)
            ticker_for(self._loop).add(self._every_second, VIEWER_COUNT_PERIOD)

    def stop(self) -> None:
        if self._period is not None:
            if not loop_closed(self._loop):
                ticker_for(self._loop).remove(self, self._period)
                ticker_for(self._loop).remove(self._every_second, VIEWER_COUNT_PERIOD)
            self._period = None

    @property
    def running(self) -> bool:
        return self._period is not None

    def tick(self) -> None:
        """Draw one update (unless paused) and tell every subscriber."""
        if self.model.paused:
            return
        x, y = self.model.advance()
        self.record.append(x, y, self.model.increments)
        if y.ndim > 1:
            y = y[0]
        self._append(x, y)
        self.updates += 1
        self.notify()

    def notify(self) -> None:
        """Tell every subscriber that there is something to read (each error is logged; the
        others are still told)."""
        self.offers += 1
        self._tell("offer")

    def tell_idle(self) -> None:
        """Tell every subscriber that nothing came for a second (``Subscriber.idle``)."""
        self._tell("idle")

    def _tell(self, what: str) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                getattr(subscriber, what)()
            except Exception:
                log.exception("a shared-feed subscriber failed; the others go on")

    def _append(self, x: np.ndarray, y: np.ndarray) -> None:
        window = len(self._x)
        with self._lock:
            if len(y) >= window:
                x, y = x[-window:], y[-window:]
            slots = (x.astype(np.int64) - 1) % window
            self._x[slots], self._y[slots] = x, y
            self._held = min(self._held + len(x), window)
            self._last = int(x[-1])
            self._since = (None, ())

    # -- reading --------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.add(subscriber)
            self.subscriptions += 1

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.discard(subscriber)
                self.subscriptions += 1

    def watch_viewers(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` on the loop within a second of a change of ``subscribers``."""
        self._viewer_watchers.append(callback)

    def unwatch_viewers(self, callback: Callable[[], None]) -> None:
        if callback in self._viewer_watchers:
            self._viewer_watchers.remove(callback)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    @property
    def window(self) -> int:
        """Points the ring holds at most (the plots' rollover)."""
        return len(self._x)

    def since(self, run: int, last: int) -> tuple[int, bool, np.ndarray, np.ndarray]:
        """What a subscriber that shows run ``run`` up to step ``last`` has not seen:
        ``(run, whole, x, y)``. ``whole`` is True when it must replace what it shows (another
        run, or it fell more than a window behind); the arrays are copies, the same ones for
        every subscriber in step (read them, do not change them)."""
        with self._lock:
            key = (run, last)  # cleared whenever the ring changes
            if self._since[0] == key:  # the subscribers in step ask alike, one after another
                return self._since[1]
            steps = self._last
            first = steps - self._held + 1  # first step held
            whole = run != self._run or last < first - 1
            start = first if whole else last + 1
            if start > steps:
                answer = self._run, whole, np.empty(0), np.empty(0)
            else:
                slots = (np.arange(start, steps + 1) - 1) % len(self._x)
                answer = self._run, whole, self._x[slots], self._y[slots]
            self._since = (key, answer)
            return answer

    # -- controls ---------------------------------------------------------------------------

    #: Whether the feed is cut off from its producer (never, in one process).
    interrupted = False

    #: Whether other processes show this feed too (then ``subscribers`` counts this one's).
    spans_processes = False

    def control(self, on_error=None, **values) -> None:
        """Set global controls (``variance``, ``paused``): a refused value raises ValueError
        and changes nothing. (``on_error`` is for feeds that apply controls later.)"""
        check_all(self.model, values)
        self.model.param.update(**values)

    def reset(self, on_error=None) -> None:
        """Restart the shared path for every viewer."""
        self.model.reset()

    def watch_status(self, callback) -> None:
        """Call ``callback(interrupted)`` when the feed is cut off or back (never here)."""

    def unwatch_status(self, callback) -> None:
        pass

    def _on_run(self, event: param.parameterized.Event) -> None:
        with self._lock:
            self._held = self._last = 0
            self._run += 1
            self._since = (None, ())
        self.notify()  # every subscriber empties its plot now, paused or not

    def _on_period(self, event: param.parameterized.Event) -> None:
        if self._period is not None:
            self.stop()
            self.start()


def feed_for(loop: IOLoop | None = None, **settings) -> SharedFeed:
    """The shared feed of ``loop`` (default: the current thread's IOLoop), created and started
    on first use with a model of ``settings`` (``BrownianMotion`` parameters, e.g. period,
    batch, window, seed); it runs as long as the loop. Asking again with other settings than
    the feed was made with is a ValueError (out-of-bounds settings too)."""
    loop = loop if loop is not None else IOLoop.current()
    feed, new = SHARED_FEEDS.get(
        loop, lambda: SharedFeed(model=BrownianMotion(**settings), loop=loop))
    if new:
        feed.start()
    made = {name: getattr(feed.model, name) for name in settings}
    if made != settings:
        raise ValueError(f"the shared feed was made with {made}, not {settings}")
    return feed
