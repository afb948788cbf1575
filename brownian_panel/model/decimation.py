"""The whole history as it grows, sent incrementally: fixed buckets, only the last one changes.

Design notes: docs/architecture.md, "model/decimation.py".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .history import History


@dataclass(frozen=True)
class ViewUpdate:
    """A change of the following view: ``whole`` replaces it; otherwise the last ``replace``
    entries shown are overwritten by the first ``replace`` of (index, value) and the rest are
    appended."""

    whole: bool
    index: np.ndarray
    value: np.ndarray
    replace: int = 0


class FollowingView:
    """The state of one plot's following view of a ``History`` (see the module doc)."""

    def __init__(self) -> None:
        self.width = 0
        self.pixels = 0
        #: The history's (start, stop) when last shown; stop < 0: nothing shown yet.
        self._start, self._stop = 0, -1
        #: Entries shown, as the plot holds them.
        self.shown = 0

    @property
    def state(self) -> tuple[int, int, int, int, int]:
        """Everything ``update`` depends on besides the history (to reuse an update computed
        by another view in the same state: ``update`` then ``state = ...``)."""
        return self.width, self.pixels, self._start, self._stop, self.shown

    @state.setter
    def state(self, state: tuple[int, int, int, int, int]) -> None:
        self.width, self.pixels, self._start, self._stop, self.shown = state

    def forget(self) -> None:
        """Rebuild the view whole at the next update (e.g. after it showed something else)."""
        self._stop = -1

    def update(self, history: History, pixels: int) -> ViewUpdate | None:
        """The change that brings the view up to ``history`` at ``pixels`` buckets at most;
        None when nothing changed."""
        pixels = max(int(pixels), 1)
        start, stop = history.start, history.stop
        width = bucket_width(start, stop, pixels)
        same_layout = (width == self.width and pixels == self.pixels and start == self._start
                       and stop >= self._stop >= 0)
        if same_layout and stop == self._stop:
            return None
        if not same_layout or self._stop == start:
            index, value = _entries(history, width, start) if stop > start else (_EMPTY, _EMPTY)
            self.width, self.pixels, self._start, self._stop = width, pixels, start, stop
            self.shown = len(index)
            return ViewUpdate(True, index, value)
        # Recompute from the last bucket shown if it was partial (it may have grown), else
        # from the first new point.
        replace, first = 0, self._stop
        if width > 1 and self._stop % width:
            replace, first = 2, self._stop - 1
        index, value = _entries(history, width, first)
        self._stop = stop
        self.shown += len(index) - replace
        return ViewUpdate(False, index, value, replace)


_EMPTY = np.empty(0)


def bucket_width(start: int, stop: int, pixels: int) -> int:
    """The smallest power of two ``w`` such that the buckets [k w, (k + 1) w) holding the
    indices [start, stop) number at most ``pixels``."""
    width = 1
    while -(-stop // width) - start // width > pixels:
        width *= 2
    return width


#: A last bucket of up to this many points is reduced from its raw values (a following
#: update's usual case: cheaper than the grid over the history's levels).
RAW_BUCKET = 4096


def _entries(history: History, width: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the buckets from the one holding ``start`` to the last point:
    the raw points for width 1, else two per bucket (min and max in index order)."""
    stop = history.stop
    if width == 1:
        return np.arange(start, stop, dtype=np.int64), history.values(start, stop)
    first = max(start // width * width, history.start)
    if stop - first <= min(width, RAW_BUCKET):  # one bucket, small: from its values
        part = history.values(first, stop)
        low, high = int(part.argmin()), int(part.argmax())  # first occurrences, as the grid's
        if low == high:
            high = stop - 1 - first
        index = np.array([low, high] if low <= high else [high, low], dtype=np.int64)
        return index + first, part[index]
    edges, low, at_low, high, at_high = history.grid(width, start)
    # Min and max at one index: all of the bucket's values are equal (or it has one point);
    # the bucket's last point is then an extreme too.
    at_high = np.where(at_low == at_high, edges[1:] - 1, at_high)
    first_is_low = at_low <= at_high
    index = np.column_stack([np.where(first_is_low, at_low, at_high),
                             np.where(first_is_low, at_high, at_low)]).ravel()
    value = np.column_stack([np.where(first_is_low, low, high),
                             np.where(first_is_low, high, low)]).ravel()
    return index, value
