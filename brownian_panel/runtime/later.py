"""The parts of pages built after their first point: one queue per server loop, paced.

A page opens with its title and live plot only; its other parts (controls with the run
settings, History, statistics) are queued here. The queue builds one part at a time, under its
document lock, once its page has shown a first point, no page has been opened for a moment
(opening pages comes first), and the loop has had as long again to itself as the last part
took (ticks and opening pages get at least half of the loop).

Design notes: docs/architecture.md, "runtime/later.py".
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bokeh.document import Document
from tornado.ioloop import IOLoop

from .registry import LATER_QUEUES
from .session import lock_ended
from .ticker import hand_to_loop

log = logging.getLogger(__name__)

#: Seconds without a page opened before a part is built.
QUIET_S = 0.2

#: Seconds a part waits for its page's first point before it is built anyway (a paused page).
FIRST_POINT_WAIT_S = 1.0

#: Least seconds between two parts; more after a long one (as long as it took).
MIN_GAP_S = 0.005

#: Seconds after which a part handed to its document and not run yet (its session ended, or
#: is too busy) no longer holds the queue; it is still built if its document runs it later.
GIVE_UP_S = 5.0


@dataclass(eq=False)
class Part:
    """One part of a page to build: ``build()`` under ``doc``'s lock, once ``ready()`` or
    ``FIRST_POINT_WAIT_S`` after it was queued."""

    doc: Document
    build: Callable[[], None]
    ready: Callable[[], bool]
    queued_at: float
    cancelled: bool = False
    #: ``time.monotonic()`` when its build began (None: not yet).
    started_at: float | None = None


class LaterQueue:
    """The parts waiting on one server loop, built in the order queued."""

    def __init__(self, loop: IOLoop) -> None:
        self.loop = loop
        self._parts: deque[Part] = deque()
        self._last_page_at = 0.0
        self._next_at = 0.0
        self._scheduled = False
        self._building: Part | None = None
        #: Parts built so far (for tests and benchmarks).
        self.built = 0

    def page_opened(self) -> None:
        """A page is being built: parts wait ``QUIET_S`` longer."""
        self._last_page_at = time.monotonic()

    def add(self, doc: Document, build: Callable[[], None], ready: Callable[[], bool]) -> Part:
        """Queue ``build`` for ``doc``; ``cancel(part)`` drops it if not built yet."""
        part = Part(doc, build, ready, time.monotonic())
        if not hand_to_loop(self.loop, self._add, part):
            self._add(part)
        return part

    def cancel(self, part: Part) -> None:
        part.cancelled = True

    def __len__(self) -> int:
        return sum(not part.cancelled for part in self._parts)

    @property
    def building(self) -> bool:
        """Whether a part is being built (its page not yet answered)."""
        return self._building is not None

    def _add(self, part: Part) -> None:
        self._parts.append(part)
        self._schedule()

    def _schedule(self) -> None:
        if self._scheduled or self._building is not None or not self._parts:
            return
        now = time.monotonic()
        start = max(self._next_at, self._last_page_at + QUIET_S, now)
        self._scheduled = True
        self.loop.call_later(start - now, self._run_next)

    def _run_next(self) -> None:
        self._scheduled = False
        now = time.monotonic()
        if now < self._last_page_at + QUIET_S:
            self._schedule()  # a page opened meanwhile
            return
        part = self._first_ready(now)
        if part is None:
            if self._parts:
                self._scheduled = True
                self.loop.call_later(0.05, self._run_next)
            return
        self._building = part
        part.doc.add_next_tick_callback(lambda: self._build(part))
        self.loop.call_later(GIVE_UP_S, self._give_up, part)

    def _give_up(self, part: Part) -> None:
        if self._building is part:
            waited = ("its session to run it" if part.started_at is None
                      else "its session's callbacks queued meanwhile to run")
            log.info("a page part waited %g s for %s; the other pages' parts go on",
                     GIVE_UP_S, waited)
            self._building = None
            self._schedule()

    def _first_ready(self, now: float) -> Part | None:
        if any(part.cancelled for part in self._parts):  # released pages': dropped wherever
            self._parts = deque(part for part in self._parts if not part.cancelled)
        for part in self._parts:
            try:
                ready = part.ready() or now - part.queued_at >= FIRST_POINT_WAIT_S
            except Exception:
                log.exception("a page part's readiness check failed; it is built now")
                ready = True
            if ready:
                self._parts.remove(part)
                return part
        return None

    def _build(self, part: Part) -> None:
        if part.cancelled:  # its page was released: the next part goes now
            if self._building is part:
                self._building = None
                self._schedule()
            return
        started = part.started_at = time.monotonic()
        try:
            part.build()
            self.built += 1
        except Exception:
            if not lock_ended(part.doc, "a part of the page"):
                log.exception("building a part of a page failed; the page goes on without it")
        # Panel may apply the part's layout change in a callback of its own, queued meanwhile:
        # the part is done once the document's callbacks queued so far have run.
        part.doc.add_next_tick_callback(lambda: self._built(part, started))

    def _built(self, part: Part, started: float) -> None:
        if self._building is not part:
            return
        took = time.monotonic() - started
        self._next_at = time.monotonic() + max(took, MIN_GAP_S)
        self._building = None
        self._schedule()


def later_for(loop: IOLoop) -> LaterQueue:
    """The queue of ``loop``, made on first use (``registry.LATER_QUEUES``)."""
    return LATER_QUEUES.get(loop, lambda: LaterQueue(loop))[0]
