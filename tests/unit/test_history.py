"""The history's min/max pyramid against brute force (numpy over the raw values)."""

from __future__ import annotations

import numpy as np
import pytest

from brownian_panel.model.history import CHUNK, LEAF, History


def _filled(values: np.ndarray, rng: np.random.Generator, capacity: int = 10**7) -> History:
    """A history fed ``values`` in batches of random sizes (single points included)."""
    history = History(capacity=capacity)
    done = 0
    while done < len(values):
        size = int(rng.choice([1, 2, 63, 64, 65, 1000, 4097, 70_000]))
        history.append(values[done:done + size] if size > 1 else float(values[done]))
        done += size
    return history


def _check_buckets(history: History, values: np.ndarray, start: int, stop: int, pixels: int):
    edges, low, at_low, high, at_high = history.buckets(start, stop, pixels)
    assert edges[0] == start and edges[-1] == stop and np.all(np.diff(edges) > 0)
    assert len(low) == len(edges) - 1 <= pixels
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        bucket = values[a:b]
        assert (low[i], at_low[i]) == (bucket.min(), a + bucket.argmin()), (start, stop, i)
        assert (high[i], at_high[i]) == (bucket.max(), a + bucket.argmax()), (start, stop, i)


@pytest.mark.parametrize("length", [1, 63, 64, 65, 4095, CHUNK - 1, CHUNK, CHUNK + 1,
                                    3 * CHUNK + 12_345])
def test_every_bucket_has_the_true_min_and_max_and_their_positions(length):
    rng = np.random.default_rng(length)
    values = np.cumsum(rng.normal(size=length))
    history = _filled(values, rng)
    assert len(history) == length
    np.testing.assert_array_equal(history.values(), values)
    for _ in range(20):
        start = int(rng.integers(0, length))
        stop = int(rng.integers(start + 1, length + 1))
        _check_buckets(history, values, start, stop, int(rng.integers(1, 1200)))


def test_ties_resolve_to_the_first_position_like_numpy():
    values = np.repeat([0.0, 1.0, 0.0, 1.0], 3 * LEAF + 5)
    history = _filled(values, np.random.default_rng(1))
    _check_buckets(history, values, 0, len(values), 3)
    _check_buckets(history, values, 7, len(values) - 9, 5)


def test_the_view_keeps_each_bucket_extremes_in_order_at_most_two_a_pixel():
    rng = np.random.default_rng(2)
    values = np.cumsum(rng.normal(size=2 * CHUNK + 999))
    history = _filled(values, rng)
    for pixels in (1, 7, 500, 1000):
        x, y = history.view(10, len(values) - 3, pixels)
        assert len(x) <= 2 * pixels and np.all(np.diff(x) > 0)
        np.testing.assert_array_equal(y, values[x])
        assert (y.min(), y.max()) == (values[10:-3].min(), values[10:-3].max())
    x, y = history.view(100, 130, 1000)  # fewer points than 2 a pixel: all of them
    np.testing.assert_array_equal(x, np.arange(100, 130))


def test_a_full_history_drops_whole_chunks_from_the_front():
    rng = np.random.default_rng(3)
    values = np.cumsum(rng.normal(size=5 * CHUNK + 100))
    history = _filled(values, rng, capacity=2 * CHUNK)
    assert history.start % CHUNK == 0 and len(history) <= 2 * CHUNK
    assert history.dropped == history.start == len(values) - len(history)
    np.testing.assert_array_equal(history.values(), values[history.start:])
    _check_buckets(history, values, history.start, history.stop, 300)
    _check_buckets(history, values, history.start + 5, history.stop - 5, 1000)
    with pytest.raises(ValueError):
        history.extremes(0, 10)  # dropped


def test_clear_starts_over_and_memory_stays_near_the_raw_values():
    rng = np.random.default_rng(4)
    history = _filled(np.cumsum(rng.normal(size=4 * CHUNK)), rng)
    assert history.nbytes <= 1.10 * 8 * len(history)
    history.clear()
    assert len(history) == 0 and history.nbytes == 0
    history.append([5.0, 6.0])
    assert history.values().tolist() == [5.0, 6.0] and history.start == 0

