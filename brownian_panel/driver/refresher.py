"""Coalesced refreshes of a session's derived views, run on the server's event loop.

Design notes: docs/architecture.md, "driver/refresher.py".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from bokeh.document import Document
from bokeh.model import Model
from bokeh.models import ColumnDataSource

from .. import compat
from ..runtime.session import lock_ended, server_loop
from ..runtime.ticker import hand_to_loop
from .gate import Write, decide
from .wire import MAX_UNREAD_BYTES, FramesCache, gathering, one_write, write_changes

log = logging.getLogger(__name__)

#: Seconds between two refreshes of a statistics view (histogram, mean-squared displacement)
#: while points arrive.
STATISTICS_INTERVAL = 1.0

#: Seconds before a refresh held back by a client that does not read is tried again, at least.
RETRY_INTERVAL = 0.1

#: Seconds before a refresh that found the session busy (a locked callback, a write under way:
#: typically the server's reply to the very event that asked for it) is tried again; doubled
#: at each retry that finds it still busy, up to ``BUSY_RETRY_MAX``.
BUSY_RETRY_INTERVAL, BUSY_RETRY_MAX = 0.0005, 0.05


class Refresher:
    """Runs ``refresh`` for a session's view, coalesced and rate-limited on the server's loop."""

    def __init__(self, refresh: Callable[[], None], doc: Document | None, min_interval: float,
                 max_unread: int = MAX_UNREAD_BYTES, cache: FramesCache | None = None):
        self._refresh = refresh
        self._doc = doc
        self._loop = server_loop(doc) if doc is not None else None
        self.min_interval = min_interval
        self.max_unread = max_unread
        #: With a cache, refreshes are due on the clock's multiples of ``min_interval`` (the
        #: same moments for every page of a process) and their messages go through the cache.
        self._cache = cache
        self._queued: object | None = None
        self._queued_urgent = False
        #: The queued refresh stands in for an update's that was not due (see ``request``).
        self._queued_for_update = False
        self._locked_pending = False
        self._busy_retries = 0  # tries in a row that found the session busy
        self._released = False
        #: When the refresh that the next one is due after ran (``_next_due``).
        self._due_from = -float("inf")

    def request(self, urgent: bool = False) -> None:
        """Refresh now (no session) or once, soon: at once if ``urgent``, else no sooner than
        ``min_interval`` after the last refresh."""
        if self._released or self._locked_pending:
            return
        if self._doc is None:
            self._run()
            return
        in_update = gathering(self._doc)  # an update's write is open: this is the loop's thread
        if not in_update and hand_to_loop(self._loop, self.request, urgent):  # e.g. while the
            return  # page is built
        if in_update and self._due(self._now_in_update()):
            # Inside an update's write (which checked the client reads and the session is
            # free): refresh now, in the same socket write.
            if self._queued is not None:
                self._loop.remove_timeout(self._queued)
                self._queued = None
            self._run_guarded()
            return
        if self._queued is not None:
            if not urgent or self._queued_urgent:
                return
            self._loop.remove_timeout(self._queued)
        # Asked by an update but not due: a later update will most likely find it due and
        # refresh in its write; the timer, later than that, covers a stream that stopped. Its
        # refresh leaves the schedule as it was: at a period of two intervals or more it fires
        # just before the next update, which would otherwise find it not due again, for good
        # (the page then gets two messages an update, and shared pages no longer share one).
        delay = 2 * self.min_interval if in_update else self.min_interval
        wait = 0.0 if urgent else self._next_due() + delay - self.min_interval - time.monotonic()
        self._queued = self._loop.call_later(max(wait, 0.0), self._run_queued)
        self._queued_urgent = urgent
        self._queued_for_update = in_update and not urgent

    def _now_in_update(self) -> float:
        """The clock for an update's refresh: with a cache, the moment its first page wrote
        the update (``FramesCache.moment``), the same for every in-step page."""
        moment = self._cache.now if self._cache is not None else None
        return time.monotonic() if moment is None else moment

    def _due(self, now: float) -> bool:
        return now >= self._next_due()

    def _next_due(self) -> float:
        """When the next refresh is due: ``min_interval`` after the last one (but one that
        stood in for an update's), or (with a cache) at the first multiple of ``min_interval``
        after it."""
        last = self._due_from
        if self._cache is None or self.min_interval <= 0 or last == -float("inf"):
            return last + self.min_interval
        return (last // self.min_interval + 1) * self.min_interval

    def release(self) -> None:
        self._released = True
        if self._queued is not None:
            self._loop.remove_timeout(self._queued)
            self._queued = None

    def _run_queued(self) -> None:
        self._queued = None
        if self._released:
            return
        if not compat.direct_writes():  # the public path: under the document lock
            self._locked_pending = True
            self._doc.add_next_tick_callback(self._run_locked)
            return
        for_update = self._queued_for_update
        write = decide(self._doc, self.max_unread)
        if write is Write.BEHIND:  # wait for the client to read
            self._queued = self._loop.call_later(max(self.min_interval, RETRY_INTERVAL),
                                                 self._run_queued)
            self._queued_urgent = False
            return
        if write is Write.LOCKED:  # e.g. the reply to the event that asked is pending
            delay = min(BUSY_RETRY_INTERVAL * 2 ** self._busy_retries, BUSY_RETRY_MAX)
            self._busy_retries = min(self._busy_retries + 1, 16)  # 2 ** 16: past the cap
            self._queued = self._loop.call_later(delay, self._run_queued)
            return
        self._busy_retries = 0
        self._queued_for_update = False
        self._run_guarded(keep_schedule=for_update)

    def _run_locked(self) -> None:
        self._locked_pending = False
        if not self._released:
            for_update, self._queued_for_update = self._queued_for_update, False
            self._run_guarded(locked=True, keep_schedule=for_update)

    def _run_guarded(self, locked: bool = False, keep_schedule: bool = False) -> None:
        try:
            self._run(keep_schedule)
        except Exception:
            if not (locked and lock_ended(self._doc, "a refresh")):
                log.exception("refresh failed; the next request tries again")

    def _run(self, keep_schedule: bool = False) -> None:
        if self._cache is not None and self._doc is not None and not gathering(self._doc):
            with one_write(self._doc, self._cache):
                self._refresh()
        else:
            self._refresh()
        if not keep_schedule:
            self._due_from = time.monotonic()


def show(doc: Document | None, data: dict[ColumnDataSource, dict[str, Any]],
         properties: list[tuple[Model, str, Any]],
         tails: dict[ColumnDataSource, tuple[int, dict[str, np.ndarray]]] | None = None,
         key: object = None) -> None:
    """Put a refresh's new data, properties and tail changes (see ``wire.write_changes``) in
    place: in a server session written in one message; elsewhere (and where direct writes are
    off, under the document lock) set on the models, columns as plain lists (Panel's notebook
    comms fail on binary buffers), for the notebook's next push or Bokeh's own write."""
    if doc is not None and compat.direct_writes():
        write_changes(doc, data=data, properties=properties, tails=tails, key=key)
        return
    data = dict(data)
    for source, (replace, columns) in (tails or {}).items():
        data[source] = {name: np.concatenate([np.asarray(source.data[name])[
            :len(source.data[name]) - replace], values]) for name, values in columns.items()}
    for source, columns in data.items():
        source.data = {name: np.asarray(values, dtype=np.float64).tolist()
                       for name, values in columns.items()}
    for model, name, value in properties:
        setattr(model, name, value)
