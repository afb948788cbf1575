"""The incremental following view against the same buckets computed by numpy from scratch."""

from __future__ import annotations

import numpy as np
import pytest

from brownian_panel.model.decimation import RAW_BUCKET, FollowingView, _entries, bucket_width
from brownian_panel.model.history import CHUNK, History


def _expected(values: np.ndarray, start: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Every bucket [k w, (k + 1) w) of the held values [start, len): its min and max (first
    occurrences) in index order; a bucket whose min and max are one point: it and the last."""
    index = []
    stop = start + len(values)
    first = start // width * width
    for a in range(first, stop, width):
        a, b = max(a, start), min(a + width, stop)
        part = values[a - start:b - start]
        lo, hi = a + int(part.argmin()), a + int(part.argmax())
        if width == 1:
            index.append(lo)
            continue
        if lo == hi:
            hi = b - 1
        index += sorted([lo, hi])
    index = np.asarray(index, dtype=np.int64)
    return index, values[index - start]


class _Plot:
    """What the browser holds, updated only by ``ViewUpdate``s."""

    def __init__(self):
        self.index, self.value = np.empty(0, dtype=np.int64), np.empty(0)
        self.wholes = 0

    def apply(self, update):
        if update is None:
            return
        if update.whole:
            self.index, self.value = update.index, update.value
            self.wholes += 1
            return
        keep = len(self.index) - update.replace
        assert keep >= 0
        self.index = np.concatenate([self.index[:keep], update.index])
        self.value = np.concatenate([self.value[:keep], update.value])


@pytest.mark.parametrize("pixels", [1, 7, 1000])
@pytest.mark.parametrize("batches", [[1], [1, 3, 64, 1000], [70_000, 5]])
def test_the_updates_rebuild_exactly_the_buckets_of_the_whole_history(pixels, batches):
    rng = np.random.default_rng(pixels + len(batches))
    history, view, plot = History(capacity=CHUNK), FollowingView(), _Plot()
    values = np.empty(0)
    for step in range(300):
        size = int(rng.choice(batches))
        new = np.cumsum(rng.normal(size=size)) + (values[-1] if len(values) else 0.0)
        if step % 50 == 49:
            new[:] = new[0]  # a flat stretch: min and max are everywhere (variance 0)
        history.append(new if size > 1 else float(new[0]))
        values = np.concatenate([values, new])
        plot.apply(view.update(history, pixels))
        held = values[history.start:]
        width = bucket_width(history.start, history.stop, pixels)
        index, value = _expected(held, history.start, width)
        np.testing.assert_array_equal(plot.index, index)
        np.testing.assert_array_equal(plot.value, value)
        assert view.shown == len(plot.index) <= 2 * pixels
        half = width // 2  # the width is the smallest that fits
        assert width == 1 or -(-history.stop // half) - history.start // half > pixels
    assert view.update(history, pixels) is None  # nothing new, nothing sent
    if batches == [1]:  # one point a tick: after the first width doublings, mostly tiny updates
        assert plot.wholes < 20


def test_reset_drop_and_a_new_width_rebuild_the_view_whole():
    rng = np.random.default_rng(1)
    history, view = History(capacity=CHUNK), FollowingView()
    history.append(rng.normal(size=1000))
    assert view.update(history, 100).whole
    history.append(rng.normal(size=10))
    update = view.update(history, 100)
    assert not update.whole and update.replace == 2 and len(update.index) <= 4
    assert view.update(history, 200).whole  # the plot got wider
    history.append(rng.normal(size=CHUNK))  # the front chunk is dropped
    assert history.start == CHUNK and view.update(history, 200).whole
    history.clear()
    update = view.update(history, 200)
    assert update.whole and len(update.index) == 0
    assert view.update(history, 200) is None
    history.append(1.0)
    update = view.update(history, 200)
    assert update.whole and update.index.tolist() == [0] and update.value.tolist() == [1.0]
    view.forget()
    assert view.update(history, 200).whole


def test_bucket_width_is_the_smallest_power_of_two_that_fits():
    assert bucket_width(0, 1000, 1000) == 1
    assert bucket_width(0, 1001, 1000) == 2
    assert bucket_width(0, 10**8, 1000) == 2**17
    assert bucket_width(CHUNK, CHUNK + 5, 2) == 4


@pytest.mark.parametrize("flat", [False, True])
def test_the_buckets_from_any_start_match_numpy_from_scratch(flat):
    # A following update recomputes from its last bucket: a small one from its raw values, more
    # or larger ones over the history's levels; both must give the buckets of the whole.
    rng = np.random.default_rng(7)
    history = History(capacity=CHUNK)
    values = np.cumsum(rng.normal(size=CHUNK + 50_000))
    if flat:
        values[-3_000:] = values[-3_000]  # min and max everywhere in the last buckets
    history.append(values)
    held = values[history.start:]
    for width in [2, 8, 64, 1024, RAW_BUCKET, 2 * RAW_BUCKET, 2**16]:
        for start in [history.start, history.stop - 1, history.stop - width // 2 - 1,
                      history.stop - width - 3, *rng.integers(history.start, history.stop, 5)]:
            start = max(int(start), history.start)
            first = max(start // width * width, history.start)
            index, value = _entries(history, width, start)
            expected_index, expected_value = _expected(held[first - history.start:], first,
                                                       width)
            np.testing.assert_array_equal(index, expected_index)
            np.testing.assert_array_equal(value, expected_value)
