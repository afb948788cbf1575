"""Memory that ended sessions freed goes back to the operating system (glibc's ``malloc_trim``).

glibc keeps what a closed session freed inside its heaps, where blocks still in use pin the
pages around them: without a trim a server's RSS stays at its high-water mark after a crowd
has left, and creeps on as sessions come and go (docs/architecture.md, "runtime/memory.py").
A trim hands every wholly free page back. It runs on the loop, ``TRIM_DELAY_S`` after a session
ended, at most once per such delay for the whole process. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable

from bokeh.document import Document
from tornado.ioloop import IOLoop

#: Seconds from a session's end to the trim (the sessions ending meanwhile share it).
TRIM_DELAY_S = 2.0

_UNRESOLVED = object()


def _find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS, Windows)."""
    try:
        function = ctypes.CDLL(None).malloc_trim
    except (OSError, TypeError, AttributeError):
        return None
    function.argtypes, function.restype = [ctypes.c_size_t], ctypes.c_int
    return function


class Trimmer:
    """Runs ``trim(0)`` once, ``delay`` seconds after the first ``soon()`` since the last run."""

    def __init__(self, trim: Callable[[int], int] | None | object = _UNRESOLVED,
                 delay: float = TRIM_DELAY_S):
        self._trim, self.delay = trim, delay
        self._lock = threading.Lock()
        self._pending_since: float | None = None
        self.runs = 0

    def soon(self, loop: IOLoop) -> bool:
        """Schedule a trim on ``loop`` unless one is pending; whether one was scheduled."""
        with self._lock:
            if self._trim is _UNRESOLVED:
                self._trim = _find_malloc_trim()
            now = time.monotonic()
            # A trim pending for twice its delay was dropped with its loop: schedule anew.
            if self._trim is None or (self._pending_since is not None
                                      and now - self._pending_since < 2 * self.delay):
                return False
            self._pending_since = now
        loop.call_later(self.delay, self._run)
        return True

    def _run(self) -> None:
        with self._lock:
            self._pending_since = None
            trim = self._trim
        trim(0)
        self.runs += 1


#: The process's one trimmer (listed in ``runtime.registry.PROCESS_STATE``).
TRIMMER = Trimmer()


def trim_after_session(doc: Document) -> None:
    """Once ``doc``'s session has ended, give the memory freed back (``TRIMMER``)."""
    doc.on_session_destroyed(lambda session_context: TRIMMER.soon(IOLoop.current()))
