"""``Mirror``: a ``BrownianMotion`` told its points by a producer elsewhere (over Redis).

It draws nothing: ``begin`` starts the producer's run (its number, entropy and settings),
``take`` adds the producer's next update. So a ``Record`` of a mirror, and every view and export
of it, read it exactly as they read the model that drew the points. param + numpy only.
"""

from __future__ import annotations

import numpy as np
import param

from .estimates import VarianceSchedule
from .walk import BrownianMotion

#: The producer's settings a mirror takes at the start of each run (it mirrors one path).
RUN_SETTINGS = ("seed", "period", "batch", "window", "history")


class Mirror(BrownianMotion):
    """The first path of a producer's model, as its updates arrive (see the module doc)."""

    def __init__(self, **params):
        super().__init__(**params)
        self._entropy: int | None = None

    @property
    def entropy(self) -> int:
        """The producer's entropy for the current run (0 before the first ``begin``)."""
        return self._entropy if self._entropy is not None else 0

    def begin(self, run: int, entropy: int, settings: dict) -> None:
        """Start the producer's run number ``run``: forget every point, take its ``entropy``
        and ``settings`` (``RUN_SETTINGS``), and tell the run's watchers even if the number is
        the same (another producer's run)."""
        self.param.update(**{name: settings[name] for name in RUN_SETTINGS if name in settings})
        self._entropy = int(entropy)
        self._clear()
        if self.run == run:
            self.param.trigger("run")
        else:
            with param.edit_constant(self):
                self.run = run

    def take(self, first: int, y: np.ndarray, variance: float) -> tuple[np.ndarray, np.ndarray]:
        """Add the producer's update: values ``y`` of steps ``first``, ``first + 1``, ...
        drawn with ``variance``. Returns ``(x, y)`` as ``advance`` does; ``increments`` are the
        differences of the values (one fewer when step ``first - 1`` was not taken here)."""
        y = np.asarray(y, dtype=np.float64)
        x = np.arange(first, first + len(y), dtype=np.float64)
        if not len(y):
            return x, y
        if first == self._steps + 1:
            increments = np.diff(y, prepend=self._positions[0])
        else:  # joined the run late, or a gap: the step before is unknown
            increments = np.diff(y)
        increments.flags.writeable = False
        self._increments = increments
        self._schedule.record(first, float(variance))
        self._steps = first + len(y) - 1
        self._positions[0] = y[-1]
        return x, y

    def advance(self) -> tuple[np.ndarray, np.ndarray]:
        raise TypeError("a Mirror draws nothing: its producer's updates come through take()")

    def reset(self) -> None:
        """Forget every point; the run number is the producer's (``begin``)."""
        self._clear()

    def _clear(self) -> None:
        self._steps = 0
        self._positions = np.zeros(self.paths)
        self._schedule = VarianceSchedule()
        self._increments = np.empty(0)
