"""The simulation model: a one-dimensional random walk and its parameters.

``BrownianMotion`` holds the state of one path (parameters, position, random generator) and
advances it with numpy. It imports param and numpy only, so it is testable without a server and
usable from plain Python or a notebook.
"""

from __future__ import annotations

import math

import numpy as np
import param

from .estimates import VarianceSchedule

#: Largest seed accepted; numpy's ``default_rng`` takes any non-negative integer, the bound keeps
#: the value representable in a browser (JavaScript numbers are exact up to 2**53).
MAX_SEED = 2**53 - 1


class _StoredValue:
    """A number parameter that holds plain values only: callables (which ``param.Number``
    takes as dynamic values, drawn anew at each read) are refused, so a read returns what is
    stored without the dynamic-value check, in under half the time (a few are read on every
    update)."""

    def _validate_value(self, value, allow_None):
        if isinstance(value, bool) or callable(value):
            kind = ("Integer", "an integer") if isinstance(self, param.Integer) else (
                "Number", "a number")
            raise ValueError(f"{kind[0]} parameter {self.name!r} takes {kind[1]}, not "
                             f"{value!r}.")
        super()._validate_value(value, allow_None)

    def __get__(self, obj, objtype=None):
        return param.Parameter.__get__(self, obj, objtype)


class FiniteNumber(_StoredValue, param.Number):
    """A ``param.Number`` that also refuses NaN, infinities, booleans and callables, whatever
    its bounds. (NaN compares false with everything, so bounds alone do not reliably keep it
    out.)"""

    def _validate_value(self, value, allow_None):
        super()._validate_value(value, allow_None)
        if value is not None and not math.isfinite(value):
            raise ValueError(f"Number parameter {self.name!r} must be a finite number, "
                             f"not {value!r}.")


class StrictInteger(_StoredValue, param.Integer):
    """A ``param.Integer`` that refuses booleans (``True`` is an int to Python, not a count) and
    callables."""


#: Most paths an ensemble may have.
MAX_PATHS = 1000


class BrownianMotion(param.Parameterized):
    """A random walk whose increments are drawn from N(0, variance), ``batch`` at a time.

    After ``n`` increments the path is at ``x = n`` with ``y`` the sum of the increments, so
    ``Var(y) = variance * x`` for a constant variance. With ``paths`` > 1 it draws that many
    independent paths at once (one generator, one vectorized draw per update).
    """

    variance = FiniteNumber(default=1.0, bounds=(0.0, 2.0), step=0.1, label="Variance", doc="""
        Variance of each increment (squared units of y per step); its standard deviation is
        sqrt(variance). 0 gives a flat path.""")

    paused = param.Boolean(default=False, label="Paused", doc="""
        While True the driver does not advance the path; the path so far is kept.""")

    seed = StrictInteger(default=None, allow_None=True, bounds=(0, MAX_SEED), label="Seed", doc="""
        Seed of the random generator. The same seed gives the same path; None draws fresh
        entropy on every reset. Changing it restarts the path.""")

    period = StrictInteger(default=500, bounds=(20, 10_000), label="Period (ms)", doc="""
        Interval between updates, in milliseconds. The lower bound keeps a session from
        spinning the CPU.""")

    batch = StrictInteger(default=1, bounds=(1, 100_000), label="Points per update", doc="""
        Number of increments drawn and sent to the browser on each update.""")

    window = StrictInteger(default=10_000, bounds=(10, 1_000_000), label="Window (points)", doc="""
        Number of most recent points kept in the plot (the rollover); older points are dropped
        on the server and in the browser, so memory stays bounded.""")

    history = StrictInteger(default=10_000_000, bounds=(100_000, 100_000_000),
                            label="History (points)", doc="""
        Number of points since the last reset kept for the History plot and the export; past
        it the oldest are dropped in whole chunks (65,536 points). Memory grows with the points
        held, about 8.5 bytes each, never allocated up front.""")

    paths = StrictInteger(default=1, bounds=(1, MAX_PATHS), label="Paths", doc="""
        Number of independent paths drawn together from the same generator (an ensemble).
        Changing it restarts the run. ``history`` counts points over all paths.""")

    run = StrictInteger(default=0, bounds=(0, None), constant=True, doc="""
        Number of the current run: it increases each time the path restarts (reset or a new
        seed), so views can clear what they hold.""")

    def __init__(self, **params):
        super().__init__(**params)
        self._rng = np.random.default_rng(self.seed)
        self._steps = 0
        self._positions = np.zeros(self.paths)
        self._schedule = VarianceSchedule()
        self._increments = np.empty(0)

    @property
    def steps(self) -> int:
        """Number of increments drawn since the last restart (the x of the last point)."""
        return self._steps

    @property
    def position(self) -> float:
        """Current value of the (first) path (the y of its last point); 0 before the first
        update."""
        return float(self._positions[0])

    @property
    def positions(self) -> np.ndarray:
        """Current value of every path (a copy, length ``paths``)."""
        return self._positions.copy()

    @property
    def entropy(self) -> int:
        """The seed of the current run's generator: ``seed`` if set, else the fresh entropy it
        drew; ``numpy.random.default_rng(entropy)`` draws the same increments."""
        return int(self._rng.bit_generator.seed_seq.entropy)

    @property
    def schedule(self) -> VarianceSchedule:
        """The variance each step since the last restart was drawn with."""
        return self._schedule

    @property
    def increments(self) -> np.ndarray:
        """The increments drawn by the last ``advance`` (read-only)."""
        return self._increments

    def advance(self) -> tuple[np.ndarray, np.ndarray]:
        """Draw one update of ``batch`` increments per path and return the new points as
        ``(x, y)``.

        ``x`` continues the step count (1, 2, 3, ... after a restart); ``y`` is the cumulative
        sum: shape ``(batch,)`` for one path, ``(paths, batch)`` for several. New float64
        arrays.
        """
        count, paths = self.batch, len(self._positions)
        variance = self.variance
        shape = (count,) if paths == 1 else (paths, count)
        increments = self._rng.normal(0.0, math.sqrt(variance), shape)
        self._schedule.record(self._steps + 1, variance)
        increments.flags.writeable = False
        self._increments = increments
        x = np.arange(self._steps + 1, self._steps + count + 1, dtype=np.float64)
        y = np.cumsum(increments, axis=-1)
        if paths == 1:
            y += self._positions[0]
            self._positions[0] = y[-1]
        else:
            y += self._positions[:, None]
            self._positions = y[:, -1].copy()
        self._steps += count
        return x, y

    def reset(self) -> None:
        """Restart the path at x = 0, y = 0; with a seed set the same path is drawn again."""
        self._rng = np.random.default_rng(self.seed)
        self._steps = 0
        self._positions = np.zeros(self.paths)
        self._schedule = VarianceSchedule()
        self._increments = np.empty(0)
        with param.edit_constant(self):
            self.run += 1

    @param.depends("seed", "paths", watch=True)
    def _restart(self) -> None:
        self.reset()
