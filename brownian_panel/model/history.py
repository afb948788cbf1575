"""The whole path since the last reset, and its min/max view of any range at pixel resolution.

Design notes: docs/architecture.md, "model/history.py".
"""

from __future__ import annotations

from collections import deque

import numpy as np

#: Points in a level-1 node, and the fan-out of every next level.
LEAF, FAN_OUT = 64, 4
#: Levels: node sizes 64, 256, ..., 65,536 points; the top level has one node per chunk.
LEVELS = 6
CHUNK = LEAF * FAN_OUT ** (LEVELS - 1)


class _Level:
    """Closed nodes of one level: min, max and their offsets in the node, oldest first."""

    def __init__(self, size: int):
        self.size = size
        self._min = np.empty(0)
        self._max = np.empty(0)
        self._argmin = np.empty(0, dtype=np.uint16 if size <= 2**16 else np.uint32)
        self._argmax = np.empty(0, dtype=self._argmin.dtype)
        self._start = 0  # first live slot in the arrays
        self._stop = 0
        #: Global node number of the first live node (node k covers [k * size, (k + 1) * size)).
        self.first = 0

    def __len__(self) -> int:
        return self._stop - self._start

    @property
    def min(self) -> np.ndarray:
        return self._min[self._start:self._stop]

    @property
    def max(self) -> np.ndarray:
        return self._max[self._start:self._stop]

    @property
    def argmin(self) -> np.ndarray:
        return self._argmin[self._start:self._stop]

    @property
    def argmax(self) -> np.ndarray:
        return self._argmax[self._start:self._stop]

    def append(self, low, high, at_low, at_high) -> None:
        count = len(low)
        if self._stop + count > len(self._min):
            self._grow(count)
        end = self._stop + count
        self._min[self._stop:end], self._max[self._stop:end] = low, high
        self._argmin[self._stop:end], self._argmax[self._stop:end] = at_low, at_high
        self._stop = end

    def append_one(self, low: float, high: float, at_low: int, at_high: int) -> None:
        if self._stop == len(self._min):
            self._grow(1)
        stop = self._stop
        self._min[stop], self._max[stop] = low, high
        self._argmin[stop], self._argmax[stop] = at_low, at_high
        self._stop = stop + 1

    def reduce(self, index: int) -> tuple[float, float, int, int]:
        """The min, max and their offsets of the node made of the ``FAN_OUT`` live nodes from
        ``index`` (offsets inside that node, in points)."""
        slot = self._start + index
        lows = self._min[slot:slot + FAN_OUT].tolist()
        highs = self._max[slot:slot + FAN_OUT].tolist()
        low, high = min(lows), max(highs)
        i, j = lows.index(low), highs.index(high)
        return (low, high, i * self.size + int(self._argmin[slot + i]),
                j * self.size + int(self._argmax[slot + j]))

    def drop(self, count: int) -> None:
        count = min(count, len(self))
        self._start += count
        self.first += count

    def _grow(self, count: int) -> None:
        # Compact and grow by half, from one chunk's nodes: few copies (each a latency spike
        # of an append), and the levels stay within 8% of the raw values.
        live = len(self)
        capacity = max(live + count, int(live * 1.5), CHUNK // self.size)
        for name in ("_min", "_max", "_argmin", "_argmax"):
            old = getattr(self, name)
            new = np.empty(capacity, dtype=old.dtype)
            new[:live] = old[self._start:self._stop]
            setattr(self, name, new)
        self._start, self._stop = 0, live


def _segment_extremes(values: np.ndarray, positions: np.ndarray, starts: np.ndarray,
                      reduce: np.ufunc) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's extreme and its first position (``starts``: adjacent, non-empty)."""
    extreme = reduce.reduceat(values, starts)
    lengths = np.diff(np.append(starts, len(values)))
    hit = values == np.repeat(extreme, lengths)
    candidates = np.where(hit, positions, np.iinfo(np.int64).max)
    return extreme, np.minimum.reduceat(candidates, starts)


class History:
    """Append-only float64 history with min/max views of any range (see the module doc)."""

    def __init__(self, capacity: int = 10_000_000):
        if capacity < CHUNK:
            raise ValueError(f"capacity must be at least one chunk ({CHUNK} points)")
        self.capacity = capacity
        self._chunks: deque[np.ndarray] = deque()
        self._levels = [_Level(LEAF * FAN_OUT ** k) for k in range(LEVELS)]
        #: Index of the first point held (a multiple of CHUNK).
        self.start = 0
        #: Index after the last point held: the number of points appended since the reset.
        self.stop = 0
        #: Points dropped from the front to stay within ``capacity``.
        self.dropped = 0

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def nbytes(self) -> int:
        """Bytes allocated for values and pyramid."""
        raw = sum(chunk.nbytes for chunk in self._chunks)
        return raw + sum(level._min.nbytes + level._max.nbytes + level._argmin.nbytes
                         + level._argmax.nbytes for level in self._levels)

    def set_capacity(self, capacity: int) -> None:
        """Keep at most ``capacity`` points from now on, dropping the oldest chunks if needed."""
        if capacity < CHUNK:
            raise ValueError(f"capacity must be at least one chunk ({CHUNK} points)")
        self.capacity = capacity
        while len(self) > capacity:
            self._drop_chunk()

    def clear(self) -> None:
        """Forget everything (a reset): the next point is step 1 again."""
        self.__init__(self.capacity)

    def append(self, values) -> None:
        """Append values (a float or a 1-D array) as the next steps."""
        if isinstance(values, float):  # one point: no array to make
            offset = self.stop % CHUNK
            if offset == 0:
                self._chunks.append(np.empty(CHUNK))
            self._chunks[-1][offset] = values
            self.stop += 1
            if self.stop % LEAF == 0:
                self._close_nodes(self.stop - 1, self.stop)
            if len(self) > self.capacity:
                self._drop_chunk()
            return
        values = np.atleast_1d(np.asarray(values, dtype=np.float64))
        done = 0
        while done < len(values):
            offset = self.stop % CHUNK
            if offset == 0:
                self._chunks.append(np.empty(CHUNK))
            take = min(CHUNK - offset, len(values) - done)
            self._chunks[-1][offset:offset + take] = values[done:done + take]
            done += take
            self._close_nodes(self.stop, self.stop + take)
            self.stop += take
        while len(self) > self.capacity:
            self._drop_chunk()

    def _close_nodes(self, old: int, new: int) -> None:
        first, last = old // LEAF, new // LEAF
        if first == last:
            return
        chunk = self._chunks[-1]
        base = (first * LEAF) % CHUNK
        block = chunk[base:base + (last - first) * LEAF].reshape(-1, LEAF)
        at_low, at_high = block.argmin(axis=1), block.argmax(axis=1)
        rows = np.arange(len(block))
        self._levels[0].append(block[rows, at_low], block[rows, at_high], at_low, at_high)
        for below, level in zip(self._levels, self._levels[1:], strict=False):
            first, last = old // level.size, new // level.size
            if first == last:
                return
            if last - first == 1:  # one node: plain Python beats a dozen numpy calls
                level.append_one(*below.reduce(first * FAN_OUT - below.first))
                continue
            lo_index = first * FAN_OUT - below.first
            count = (last - first) * FAN_OUT
            lows = below.min[lo_index:lo_index + count].reshape(-1, FAN_OUT)
            highs = below.max[lo_index:lo_index + count].reshape(-1, FAN_OUT)
            child_low, child_high = lows.argmin(axis=1), highs.argmax(axis=1)
            rows = np.arange(len(lows))
            offsets_low = below.argmin[lo_index:lo_index + count].reshape(-1, FAN_OUT)
            offsets_high = below.argmax[lo_index:lo_index + count].reshape(-1, FAN_OUT)
            level.append(lows[rows, child_low], highs[rows, child_high],
                         child_low * below.size + offsets_low[rows, child_low],
                         child_high * below.size + offsets_high[rows, child_high])

    def _drop_chunk(self) -> None:
        self._chunks.popleft()
        for level in self._levels:
            level.drop(CHUNK // level.size)
        self.start += CHUNK
        self.dropped += CHUNK

    # -- reading --------------------------------------------------------------------------

    def values(self, start: int | None = None, stop: int | None = None) -> np.ndarray:
        """A copy of the values at indices [start, stop) (default: all held)."""
        start, stop = self._clip(start, stop)
        parts = []
        index = start
        while index < stop:
            chunk = self._chunks[(index - self.start) // CHUNK]
            offset = index % CHUNK
            take = min(CHUNK - offset, stop - index)
            parts.append(chunk[offset:offset + take])
            index += take
        return np.concatenate(parts) if parts else np.empty(0)

    def _clip(self, start: int | None, stop: int | None) -> tuple[int, int]:
        start = self.start if start is None else min(max(int(start), self.start), self.stop)
        stop = self.stop if stop is None else min(max(int(stop), start), self.stop)
        return start, stop

    def extremes(self, start: int, stop: int) -> tuple[float, int, float, int]:
        """(min, its index, max, its index) of the values at [start, stop), which must be held."""
        if not self.start <= start < stop <= self.stop:
            raise ValueError(f"[{start}, {stop}) is not a non-empty range of held points")
        best = [np.inf, -1, -np.inf, -1]

        def consider(low, at_low, high, at_high):
            if low < best[0] or (low == best[0] and at_low < best[1]):
                best[0], best[1] = low, at_low
            if high > best[2] or (high == best[2] and at_high < best[3]):
                best[2], best[3] = high, at_high

        def raw(a: int, b: int) -> None:
            if a < b:
                part = self.values(a, b)
                i, j = int(part.argmin()), int(part.argmax())
                consider(part[i], a + i, part[j], a + j)

        def nodes(level: _Level, first: int, last: int) -> None:
            if first < last:
                local = slice(first - level.first, last - level.first)
                lows, highs = level.min[local], level.max[local]
                i, j = int(lows.argmin()), int(highs.argmax())
                consider(lows[i], (first + i) * level.size + int(level.argmin[local][i]),
                         highs[j], (first + j) * level.size + int(level.argmax[local][j]))

        # Walk down from the coarsest level: whole closed nodes inside, the rest one level finer.
        pieces = [(start, stop)]
        for level in reversed(self._levels):
            closed_stop = (level.first + len(level)) * level.size
            finer = []
            for a, b in pieces:
                first = -(-a // level.size)
                last = min(b, closed_stop) // level.size
                if first < last:
                    nodes(level, first, last)
                    finer += [(a, first * level.size), (last * level.size, b)]
                else:
                    finer.append((a, b))
            pieces = [(a, b) for a, b in finer if a < b]
        for a, b in pieces:
            raw(a, b)
        return best[0], best[1], best[2], best[3]

    def view(self, start: float | None, stop: float | None, pixels: int
             ) -> tuple[np.ndarray, np.ndarray]:
        """Indices and values of each bucket's min and max over [start, stop), in index order.

        At most ``2 * pixels`` points; a range of at most that many points comes back whole.
        """
        start, stop = self._clip(None if start is None else np.floor(start),
                                 None if stop is None else np.ceil(stop))
        if stop - start <= 2 * max(int(pixels), 1):
            return np.arange(start, stop), self.values(start, stop)
        _edges, low, at_low, high, at_high = self.buckets(start, stop, pixels)
        return _interleave(at_low, low, at_high, high)

    def buckets(self, start: int, stop: int, pixels: int) -> tuple[np.ndarray, ...]:
        """Bucket edges over [start, stop) (held, non-empty) and each bucket's min, its index,
        max and its index: ``edges`` has one more entry than the other arrays."""
        count, pixels = stop - start, max(int(pixels), 1)
        width = count / pixels
        level = self._level_within(width)
        size = 1 if level is None else level.size
        # Inner edges on the level's node grid: non-decreasing (size <= width), repeats dropped.
        inner = np.floor((start + width * np.arange(1, pixels)) / size).astype(np.int64) * size
        inner = inner[(inner > start) & (inner < stop)]
        inner = inner[np.diff(inner, prepend=start) > 0]
        if level is not None:  # nodes past the last closed one are read one level finer
            closed_stop = (level.first + len(level)) * size
            inner = inner[inner <= closed_stop]
        edges = np.concatenate([[start], inner, [stop]])
        return (edges, *self._reduce(edges, level))

    def grid(self, width: int, start: int) -> tuple[np.ndarray, ...]:
        """Min/max of the fixed buckets [k * width, (k + 1) * width) clipped to the held points,
        from the one holding index ``start`` to the last point held: bucket edges, then each
        bucket's min, its index, max and its index. ``width`` is a power of two, so a bucket
        is made of whole nodes of a level (the nodes of closed buckets are all closed)."""
        if width < 1 or width & (width - 1):
            raise ValueError(f"width must be a power of two, not {width}")
        if not self.start <= start < self.stop:
            raise ValueError(f"index {start} is not held")
        start = max(start // width * width, self.start)
        inner = np.arange((start // width + 1) * width, self.stop, width, dtype=np.int64)
        edges = np.concatenate([[start], inner, [self.stop]])
        return (edges, *self._reduce(edges, self._level_within(width)))

    def _level_within(self, width: float) -> _Level | None:
        """The coarsest level whose nodes fit in ``width`` points (None: raw values)."""
        level = None
        for candidate in self._levels:
            if candidate.size <= width:
                level = candidate
        return level

    def _reduce(self, edges: np.ndarray, level: _Level | None) -> tuple[np.ndarray, ...]:
        """Each bucket's (min, its index, max, its index) for buckets between ``edges``, whose
        inner edges lie on ``level``'s node grid within its closed nodes."""
        size = 1 if level is None else level.size
        # The inner buckets, [edges[1], edges[-2]), reduced at once over whole nodes (or values).
        first, last = edges[1], edges[-2]
        middle: tuple = ([], [], [], [])
        if first < last:
            if level is None:
                lows = highs = self.values(first, last)
                at_lows = at_highs = np.arange(first, last)
                starts = edges[1:-2] - first
            else:
                local = slice(first // size - level.first, last // size - level.first)
                node_starts = np.arange(first, last, size)
                lows, highs = level.min[local], level.max[local]
                at_lows = node_starts + level.argmin[local]
                at_highs = node_starts + level.argmax[local]
                starts = (edges[1:-2] - first) // size
            middle = (*_segment_extremes(lows, at_lows, starts, np.minimum),
                      *_segment_extremes(highs, at_highs, starts, np.maximum))
        # The two end buckets hold partial nodes: exact extremes of each. Every tuple here is
        # (min, its index, max, its index).
        head = self.extremes(edges[0], edges[1])
        tail = [self.extremes(edges[-2], edges[-1])] if len(edges) > 2 else []
        low, at_low, high, at_high = (
            np.concatenate([[head[k]], middle[k], [end[k] for end in tail]]) for k in range(4))
        return low, at_low.astype(np.int64), high, at_high.astype(np.int64)


def _interleave(at_low, low, at_high, high) -> tuple[np.ndarray, np.ndarray]:
    """Each bucket's two points in index order; one point when min and max are the same point."""
    first_is_low = at_low <= at_high
    index = np.column_stack([np.where(first_is_low, at_low, at_high),
                             np.where(first_is_low, at_high, at_low)]).ravel()
    value = np.column_stack([np.where(first_is_low, low, high),
                             np.where(first_is_low, high, low)]).ravel()
    keep = np.ones(len(index), dtype=bool)
    keep[1::2] = at_low != at_high
    return index[keep], value[keep]
