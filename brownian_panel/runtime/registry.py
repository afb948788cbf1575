"""Every process-wide object of brownian_panel, in one place: what it is, its key, its lifecycle.

``PROCESS_STATE`` lists them all; the per-loop ones live in a ``PerLoop``, which drops (and
releases) an entry once its event loop is closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from tornado.ioloop import IOLoop

T = TypeVar("T")


def loop_closed(loop: IOLoop) -> bool:
    """Whether ``loop`` (Tornado's wrapper of an asyncio loop) has been closed."""
    asyncio_loop = getattr(loop, "asyncio_loop", None)
    return asyncio_loop is not None and asyncio_loop.is_closed()


class PerLoop(Generic[T]):
    """One object per (event loop, key), made on first use, dropped once its loop is closed
    (``release`` is called on it then). Thread-safe: pages may be built on worker threads."""

    def __init__(self, name: str, key: str, lifecycle: str,
                 release: Callable[[T], None] | None = None):
        self.name, self.key, self.lifecycle = name, key, lifecycle
        self._release = release
        self._objects: dict[tuple[IOLoop, Hashable], T] = {}
        self._lock = threading.Lock()

    def get(self, loop: IOLoop, make: Callable[[], T], key: Hashable = None) -> tuple[T, bool]:
        """The object of ``(loop, key)`` and whether it was just made by ``make()``."""
        self.release_closed()
        with self._lock:
            found = self._objects.get((loop, key))
            if found is not None:
                return found, False
            made = self._objects[(loop, key)] = make()
            return made, True

    def release_closed(self) -> int:
        """Drop the objects of closed loops, releasing each; returns how many."""
        with self._lock:
            gone = [entry for entry in self._objects if loop_closed(entry[0])]
            released = [self._objects.pop(entry) for entry in gone]
        for item in released:
            if self._release is not None:
                self._release(item)
        return len(released)

    def holds(self, loop: IOLoop) -> bool:
        """Whether an object of ``loop`` is held."""
        with self._lock:
            return any(entry[0] is loop for entry in self._objects)

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)


#: Shared timers (``runtime.ticker.Ticker``).
TICKERS: PerLoop = PerLoop(
    "tickers", key="event loop",
    lifecycle="made by the first stream of a loop; dropped when the loop is closed")

#: Parts of pages built after their first point (``runtime.later.LaterQueue``).
LATER_QUEUES: PerLoop = PerLoop(
    "later-built page parts", key="event loop",
    lifecycle="made by the first page of a loop; its parts are built or cancelled with their "
              "session; dropped when the loop is closed")

#: In-process shared feeds (``feed.hub.SharedFeed``).
SHARED_FEEDS: PerLoop = PerLoop(
    "shared feeds", key="event loop",
    lifecycle="made and started by the first shared page of a loop; runs as long as the loop; "
              "stopped and dropped when the loop is closed",
    release=lambda feed: feed.stop())

#: Redis subscribers (``feed.redis_feed.RedisFeed``).
REDIS_FEEDS: PerLoop = PerLoop(
    "Redis feeds", key="event loop and Redis URL",
    lifecycle="made and started by the first shared page of a loop for that URL; its threads "
              "stopped and dropped when the loop is closed",
    release=lambda feed: feed.stop())

#: Every process-wide object: (name, key, lifecycle). ``tests/unit/test_registry.py`` checks
#: that each is released as said.
PROCESS_STATE: tuple[tuple[str, str, str], ...] = tuple(
    (registry.name, registry.key, registry.lifecycle)
    for registry in (TICKERS, LATER_QUEUES, SHARED_FEEDS, REDIS_FEEDS)) + (
    ("export tokens (export.csv.EXPORTS)", "random 256-bit token",
     "added when a page is built; removed when its session is destroyed or its run reset"),
    ("frames caches of shared feeds (driver.fanout)", "a shared feed (held weakly)",
     "made by the feed's first viewer; dropped with the feed"),
    ("direct-write gathering (driver.wire)", "a contextvars context",
     "set for the duration of one one_write block, reset after it"),
    ("message ids (driver.wire)", "-", "a counter for the process's life"),
    ("compat features and patches (compat.FEATURES)", "-",
     "probed once per process; patches (Comm._handle_msg, Syncable._schedule_change, "
     "bokeh.io.doc.patch_curdoc, ServerSession._handle_pull, WSHandler.on_close, a kernel's "
     "comm_open/comm_msg handlers, HasProps._overridden_defaults, "
     "PropertyDescriptor.has_unstable_default, HasProps.themed_values, "
     "ParameterizedProperty.__str__, bokeh.util.callback_manager._check_callback) applied once "
     "and kept for the process's life"),
    ("Bokeh classes' overridden defaults (compat.bokeh_defaults, Bokeh 3.9)", "a Bokeh class",
     "computed at the class's first default lookup; kept for the process's life, as Bokeh "
     "3.10 keeps them"),
    ("Bokeh's unstable-default answers (compat.bokeh_defaults._UNSTABLE)",
     "a property descriptor and a Bokeh class",
     "computed at the first default read of that property on that class; kept for the "
     "process's life"),
    ("Bokeh property types' names (compat.bokeh_property_names, an attribute of each type)",
     "a property type", "made at the type's first str(); kept with the type"),
    ("callback shapes that passed Bokeh's signature check (compat.bokeh_callbacks._PASSED)",
     "a Python function (held weakly)",
     "added at the first on_change/on_event of that shape; dropped with the function"),
    ("sessions that answered a pull (compat.bokeh_repull._PULLED)", "a ServerSession (weakly)",
     "added at a session's first pull; dropped with the session"),
    ("log filters and loop exception handlers (runtime.logs)", "Bokeh's and Panel's loggers; "
     "a server loop", "added by the first session (on its loop); kept for the process's or "
     "the loop's life"),
    ("warnings filter: Bokeh's 'reference already known' (views.notice)", "-",
     "added by the first session; kept for the process's life"),
    ("Bokeh settings read per model (runtime.bokeh_settings.PER_MODEL)", "-",
     "set to the value they resolve to by the first page built; kept for the process's life"),
    ("garbage collector thresholds (runtime.collector)", "-",
     "set by the first server session unless the collector is off or already tuned; kept for "
     "the process's life (restore_collector puts them back)"),
    ("exact chi-square quantiles (model.estimates._exact_chi2_quantile)",
     "a probability and degrees of freedom up to EXACT_DOF_LIMIT",
     "computed at the first ask; at most EXACT_QUANTILES_KEPT kept (least recently used "
     "dropped) for the process's life"),
    ("memory trimmer (runtime.memory.TRIMMER)", "-",
     "made at import, idle; resolves glibc's malloc_trim at the first session's end; one trim "
     "pending at a time, on the loop where a session ended"),
)
