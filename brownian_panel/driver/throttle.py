"""``Throttle``: run an action at once, then at most once per interval with the latest value.

Panel applies a browser's widget change 50 ms after it arrives (its debounce), so every
control change waited that long. A throttle answers the first change of a gesture at once and
then, while the user drags, at most once per ``interval`` with the newest value: the last
value is always applied, and a drag sends a bounded number of controls to a shared feed. Pair
it with ``compat.answer_at_once(widget)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class Throttle:
    """Calls ``action(value)`` for the first value at once, and for later values at most once
    per ``interval_s`` (a value arriving sooner waits, replaced by any newer one).
    ``call_later(delay_s, callback)`` schedules the waiting call (e.g. a session's timeout
    callback); ``clock`` is ``time.monotonic`` unless given."""

    def __init__(self, interval_s: float, action: Callable[[Any], None],
                 call_later: Callable[[float, Callable[[], None]], Any],
                 clock: Callable[[], float] = time.monotonic):
        self.interval_s, self._action, self._call_later, self._clock = (
            interval_s, action, call_later, clock)
        self._last_call = -float("inf")
        self._waiting = False
        self._value: Any = None

    @property
    def waiting(self) -> bool:
        """Whether a value waits to be applied."""
        return self._waiting

    def __call__(self, value: Any) -> None:
        self._value = value
        if self._waiting:
            return  # the waiting call will take this newer value
        wait = self._last_call + self.interval_s - self._clock()
        if wait <= 0:
            self._run()
        else:
            self._waiting = True
            self._call_later(wait, self._run_waiting)

    def _run_waiting(self) -> None:
        self._waiting = False
        self._run()

    def _run(self) -> None:
        self._last_call = self._clock()
        self._action(self._value)
