"""Ensembles of paths: every path's raw values, quantiles across paths, and the mean-squared
displacement against theory. numpy only.

Design notes: docs/architecture.md, "model/ensemble.py".
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .history import CHUNK

#: Quantiles of the live plot's bands (5–95%, 25–75%) and its line (the median).
QUANTILES = {"q05": 0.05, "q25": 0.25, "y": 0.5, "q75": 0.75, "q95": 0.95}


def quantile_columns(y: np.ndarray) -> dict[str, np.ndarray]:
    """Per step (column) of ``y`` (paths × steps): the 5, 25, 50, 75 and 95% quantiles across
    paths, as columns q05, q25, y (the median), q75, q95. One vectorized call."""
    values = np.quantile(y, list(QUANTILES.values()), axis=0)
    return dict(zip(QUANTILES, values, strict=True))


class EnsembleHistory:
    """The values of ``paths`` paths since the reset, step by step, in chunks."""

    def __init__(self, paths: int, capacity: int):
        self.paths = paths
        #: Steps per chunk: about CHUNK values per chunk whatever the number of paths.
        self.chunk_steps = max(1, CHUNK // paths)
        self.capacity = capacity
        self._chunks: deque[np.ndarray] = deque()
        #: First step index held (a multiple of chunk_steps) and the index after the last.
        self.start = 0
        self.stop = 0

    @property
    def capacity_steps(self) -> int:
        """Most steps held: ``capacity`` values over all paths, at least one chunk."""
        return max(self.capacity // self.paths, self.chunk_steps)

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def nbytes(self) -> int:
        return sum(chunk.nbytes for chunk in self._chunks)

    def append(self, y: np.ndarray) -> None:
        """Append one update, ``y`` of shape (paths, steps)."""
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 2 or y.shape[0] != self.paths:
            raise ValueError(f"expected ({self.paths}, steps) values, got shape {y.shape}")
        done, total = 0, y.shape[1]
        while done < total:
            offset = self.stop % self.chunk_steps
            if offset == 0:
                self._chunks.append(np.empty((self.paths, self.chunk_steps)))
            take = min(self.chunk_steps - offset, total - done)
            self._chunks[-1][:, offset:offset + take] = y[:, done:done + take]
            done += take
            self.stop += take
        while len(self) - self.chunk_steps >= self.capacity_steps:
            self._chunks.popleft()
            self.start += self.chunk_steps

    def values(self, start: int | None = None, stop: int | None = None) -> np.ndarray:
        """A copy of every path's values at step indices [start, stop): (paths, stop - start)."""
        start = self.start if start is None else max(int(start), self.start)
        stop = self.stop if stop is None else min(int(stop), self.stop)
        parts = []
        index = start
        while index < stop:
            chunk = self._chunks[(index - self.start) // self.chunk_steps]
            offset = index % self.chunk_steps
            end = min(stop, index - offset + self.chunk_steps)
            parts.append(chunk[:, offset:offset + end - index])
            index = end
        return np.concatenate(parts, axis=1) if parts else np.empty((self.paths, 0))

    def clear(self, paths: int | None = None) -> None:
        """Forget everything (a reset), optionally for a new number of paths."""
        self.__init__(self.paths if paths is None else paths, self.capacity)


class DisplacementSeries:
    """The mean-squared displacement across paths, ⟨y²⟩, at most ``max_points`` steps.

    Keeps every ``stride``-th step; when full it keeps every other one and doubles the stride.
    """

    def __init__(self, max_points: int = 2048):
        self.max_points = max_points
        self.stride = 1
        self._steps: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._count = 0

    def append(self, x: np.ndarray, y: np.ndarray) -> None:
        """Add an update: steps ``x`` and positions ``y`` (paths × steps)."""
        keep = (np.asarray(x).astype(np.int64) % self.stride) == 0
        if not keep.any():
            return
        squares = np.square(np.asarray(y)[:, keep]).mean(axis=0)
        self._steps.append(np.asarray(x)[keep])
        self._values.append(squares)
        self._count += int(keep.sum())
        while self._count > self.max_points:
            steps, values = self.series()
            self.stride *= 2
            kept = (steps.astype(np.int64) % self.stride) == 0
            self._steps, self._values = [steps[kept]], [values[kept]]
            self._count = int(kept.sum())

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """Steps and ⟨y²⟩ at those steps."""
        if not self._steps:
            return np.empty(0), np.empty(0)
        if len(self._steps) > 1:
            self._steps = [np.concatenate(self._steps)]
            self._values = [np.concatenate(self._values)]
        return self._steps[0], self._values[0]

    def clear(self) -> None:
        self.__init__(self.max_points)
