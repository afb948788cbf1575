"""``Record``: what every page showing one model reads, appended once by whoever draws it.

A session's own model has its own record; the shared feed's model has one record for every
viewer, so all of them show the same History, statistics and export. param + numpy only.
"""

from __future__ import annotations

import numpy as np
import param

from .ensemble import DisplacementSeries, EnsembleHistory
from .estimates import IncrementStatistics
from .history import CHUNK, History
from .walk import BrownianMotion


class Record:
    """The History pyramid of the (first) path, the increments since the last variance change,
    every path's values and the mean-squared displacement when there are several; cleared when
    the model restarts. Append each update with ``append`` (views then read it)."""

    def __init__(self, model: BrownianMotion):
        self.model = model
        self.history = History(capacity=self._capacity())
        self.statistics = IncrementStatistics(model.variance)
        self.ensemble = EnsembleHistory(model.paths, model.history)
        self.displacement = DisplacementSeries()
        #: Number of updates appended since the record was made.
        self.updates = 0
        # Registered before any view's watcher: views see the record cleared already.
        self._watchers = [model.param.watch(self._on_run, "run"),
                          model.param.watch(self._on_capacity, "history")]

    def append(self, x: np.ndarray, y: np.ndarray, increments: np.ndarray) -> None:
        """Add one update: steps ``x``, values ``y`` (steps, or paths × steps) and the
        increments drawn for it (any shape), with the schedule's latest variance."""
        if y.ndim == 1:
            self.history.append(y)
        else:
            self.history.append(y[0])
            self.ensemble.append(y)
            self.displacement.append(x, y)
        variance = self.model.schedule.last_variance
        variance = self.model.variance if variance is None else variance
        if variance != self.statistics.variance:
            self.statistics = IncrementStatistics(variance)
        self.statistics.add(np.ravel(increments))
        self.updates += 1

    def clear(self) -> None:
        """Forget every point (a restart)."""
        self.history.set_capacity(self._capacity())  # the number of paths may have changed
        self.history.clear()
        self.statistics = IncrementStatistics(self.model.variance)
        self.ensemble.clear(self.model.paths)
        self.displacement.clear()

    def release(self) -> None:
        """Stop following the model and drop the points."""
        for watcher in self._watchers:
            self.model.param.unwatch(watcher)
        self._watchers = []
        self.clear()

    def _capacity(self) -> int:
        """Points of the first path to keep: ``history`` counts points over all paths."""
        return max(self.model.history // self.model.paths, CHUNK)

    def _on_run(self, event: param.parameterized.Event) -> None:
        self.clear()

    def _on_capacity(self, event: param.parameterized.Event) -> None:
        self.history.set_capacity(self._capacity())
        self.ensemble.capacity = event.new
