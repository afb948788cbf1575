"""Where a driver's points come from: the session's own model (``ModelPoints``, drawn on a
timer) or the process's shared feed (``FeedPoints``, drawn by the feed's producer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import param
from bokeh.document import Document
from panel.io.callbacks import PeriodicCallback

from ..feed.hub import SharedFeed
from ..model.record import Record
from ..model.walk import BrownianMotion
from ..runtime.session import server_loop
from ..runtime.ticker import Ticker, ticker_for


@dataclass(slots=True)
class Update:
    """Points to show: ``x``, ``y`` of shape (steps,) or (paths, steps)."""

    x: np.ndarray
    y: np.ndarray
    #: Replaces what the page shows (a new run, or the page fell a window behind).
    whole: bool = False
    #: The same for every page showing the same update of a feed (its frames encoded once).
    key: tuple | None = None


class ModelPoints:
    """The session's own model: drawn every ``model.period`` ms; each read advances it and
    appends the update to its record."""

    #: A page that was behind gets the next tick's update (the walk waits meanwhile).
    coalesces = False

    def __init__(self, model: BrownianMotion, record: Record | None, doc: Document | None):
        self.model = model
        self.record = record
        self._doc = doc
        #: Panel's callback (notebook), or the shared ticker and period (server session).
        self._timer: PeriodicCallback | tuple[Ticker, int] | None = None
        self._offer: Callable[[], None] | None = None
        self._watcher = model.param.watch(self._reschedule, "period")

    @property
    def has_news(self) -> bool:
        return not self.model.paused

    @property
    def window(self) -> int:
        return self.model.window

    def read(self) -> Update:
        x, y = self.model.advance()
        if self.record is not None:
            self.record.append(x, y, self.model.increments)
        return Update(x, y)

    def follow(self, offer: Callable[[], None], idle: Callable[[], None] | None = None) -> None:
        """Call ``offer()`` every ``model.period`` ms (no-op if already); also while paused
        (``has_news`` False), so ``idle`` is not needed."""
        if self._timer is not None:
            return
        self._offer = offer
        if self._doc is not None:
            ticker, period = ticker_for(server_loop(self._doc)), self.model.period
            ticker.add(self, period)
            self._timer = (ticker, period)
        else:  # a notebook or plain Python: Panel's callback on the running asyncio loop
            self._timer = PeriodicCallback(callback=offer, period=self.model.period, log=False,
                                           background=True)
            self._timer.start()

    def tick(self) -> None:  # the ticker's
        if self._offer is not None:
            self._offer()

    def unfollow(self) -> None:
        timer, self._timer = self._timer, None
        if isinstance(timer, PeriodicCallback):
            timer.stop()
        elif timer is not None:
            ticker, period = timer
            ticker.remove(self, period)

    @property
    def following(self) -> bool:
        return self._timer is not None

    def release(self) -> None:
        self.unfollow()
        if self._watcher is not None:
            self.model.param.unwatch(self._watcher)
            self._watcher = None

    def _reschedule(self, event: param.parameterized.Event) -> None:
        if self._timer is not None:
            offer = self._offer
            self.unfollow()
            self.follow(offer)


class FeedPoints:
    """A subscription to a shared feed: each read is what the feed drew since the last one."""

    #: A page that was behind gets everything it missed at once.
    coalesces = True

    #: Always worth a read: a paused feed still has a new run or viewer count to show.
    has_news = True

    def __init__(self, feed: SharedFeed):
        self.feed = feed
        self.model = feed.model
        self.record = feed.record
        self._run, self._last = -1, 0
        self._offer: Callable[[], None] | None = None
        self._idle: Callable[[], None] | None = None

    @property
    def window(self) -> int:
        return self.feed.window

    def snapshot(self) -> Update:
        """What the feed holds now (the window): a page's first data."""
        update = self.read()
        return update if update is not None else Update(np.empty(0), np.empty(0), whole=True)

    def read(self) -> Update | None:
        run, whole, x, y = self.feed.since(self._run, self._last)
        if not whole and not len(x):
            return None
        key = None if whole else ("live", run, self._last, int(x[-1]))
        self._run = run
        self._last = int(x[-1]) if len(x) else 0
        return Update(x, y, whole, key)

    def follow(self, offer: Callable[[], None], idle: Callable[[], None] | None = None) -> None:
        """Call ``offer()`` when the feed has news, ``idle()`` when it had none for a second."""
        if self._offer is None:
            self._offer, self._idle = offer, idle
            self.feed.subscribe(self)

    def offer(self) -> None:  # the feed's
        if self._offer is not None:
            self._offer()

    def idle(self) -> None:  # the feed's
        if self._offer is not None and self._idle is not None:
            self._idle()

    def unfollow(self) -> None:
        if self._offer is not None:
            self.feed.unsubscribe(self)
            self._offer = self._idle = None

    @property
    def following(self) -> bool:
        return self._offer is not None

    def release(self) -> None:
        self.unfollow()
