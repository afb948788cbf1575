"""Python's cyclic garbage collector in a server process: thresholds that keep full collections
out of steady streaming.

With Python's default thresholds a young collection runs every 700 net new container objects
(2,000 on 3.13): ~8 a second at 100 shared viewers, so objects that live a fraction of a second
(an update's buffers, a refresh's timer) are promoted, and once those promoted since the last
full collection amount to a quarter of the heap the collector scans the whole heap, all
sessions' objects, stopping every session (0.6-0.7 s at 100 shared viewers). ``THRESHOLDS``
lets such objects die first; full collections then come with the heap's growth (pages being
made), as before. Design notes and measurements:
docs/architecture.md, "runtime/collector.py".
"""

from __future__ import annotations

import gc
import logging
import threading

log = logging.getLogger(__name__)

#: Young collections after 50,000 net new objects; the older generations after 2 of the younger.
THRESHOLDS = (50_000, 2, 2)

#: Python's own thresholds (3.11 and 3.12; 3.13): only these are replaced.
PYTHON_DEFAULTS = frozenset({(700, 10, 10), (2000, 10, 10)})

_lock = threading.Lock()
#: The thresholds found by the first ``tune_collector`` (None: not called since the last
#: ``restore_collector``).
_found: tuple[int, ...] | None = None


def tune_collector() -> bool:
    """Set ``THRESHOLDS`` once per process (the first server session calls this), unless the
    collector is disabled or its thresholds were changed from Python's already (the deployer
    chose). Returns whether they were set by this call."""
    global _found
    with _lock:
        if _found is not None:
            return False
        before = _found = gc.get_threshold()
        if not gc.isenabled() or before not in PYTHON_DEFAULTS:
            log.info("garbage collector left as it is (enabled: %s, thresholds %s)",
                     gc.isenabled(), before)
            return False
        gc.set_threshold(*THRESHOLDS)
    log.info("garbage collector thresholds %s (were %s): no full collection while pages "
             "stream", THRESHOLDS, before)
    return True


def restore_collector() -> None:
    """Put back the thresholds that the first ``tune_collector`` found (a process that served
    pages and goes on without them: tests, an embedding application); the next call tunes
    again."""
    global _found
    with _lock:
        if _found is not None:
            gc.set_threshold(*_found)
        _found = None
