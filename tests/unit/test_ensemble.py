"""Ensembles: vectorized paths from one seed, their raw store, quantiles and MSD."""

from __future__ import annotations

import numpy as np
import pytest

from brownian_panel.model.ensemble import (
    DisplacementSeries,
    EnsembleHistory,
    quantile_columns,
)
from brownian_panel.model.history import CHUNK
from brownian_panel.model.walk import BrownianMotion


def test_paths_are_independent_draws_from_the_one_seed():
    model = BrownianMotion(seed=8, paths=4, batch=5)
    x, y = model.advance()
    assert x.tolist() == [1, 2, 3, 4, 5] and y.shape == (4, 5)
    rng = np.random.default_rng(8)
    np.testing.assert_array_equal(y, np.cumsum(rng.normal(0, 1, (4, 5)), axis=1))
    _x, y2 = model.advance()
    np.testing.assert_allclose(y2[:, 0], y[:, -1] + model.increments[:, 0])
    assert model.positions.tolist() == y2[:, -1].tolist() and model.position == y2[0, -1]


def test_one_path_draws_exactly_what_it_drew_before_ensembles():
    model = BrownianMotion(seed=8, batch=5)
    _x, y = model.advance()
    assert y.shape == (5,)
    np.testing.assert_array_equal(y, np.cumsum(np.random.default_rng(8).normal(0, 1, 5)))


def test_changing_paths_restarts_and_bounds_hold():
    model = BrownianMotion(seed=1)
    model.advance()
    run = model.run
    model.paths = 3
    assert model.run == run + 1 and model.steps == 0 and model.positions.tolist() == [0, 0, 0]
    for bad in (0, 1001, 2.5, True):
        with pytest.raises(ValueError):
            model.paths = bad
    assert model.paths == 3


def test_ensemble_variance_across_paths_matches_theory():
    model = BrownianMotion(seed=3, paths=1000, batch=100, variance=0.5)
    _x, y = model.advance()
    # Var(y at step 100) = 100 * 0.5; the sample variance of 1000 paths is within ~4.5 sigma.
    assert abs(y[:, -1].var() - 50) < 4.5 * 50 * np.sqrt(2 / 999)


def test_quantile_columns_are_numpys_quantiles_per_step():
    y = np.random.default_rng(0).normal(size=(200, 7))
    columns = quantile_columns(y)
    assert list(columns) == ["q05", "q25", "y", "q75", "q95"]
    for name, q in zip(columns, (0.05, 0.25, 0.5, 0.75, 0.95), strict=True):
        np.testing.assert_array_equal(columns[name], np.quantile(y, q, axis=0))


@pytest.mark.parametrize("paths", [2, 7, 1000])
def test_ensemble_history_keeps_every_path_and_drops_whole_chunks(paths):
    rng = np.random.default_rng(paths)
    store = EnsembleHistory(paths, capacity=3 * CHUNK)
    all_values = []
    for size in (1, 5000, 1, 70_000 // paths + 3, 999):
        update = rng.normal(size=(paths, size))
        all_values.append(update)
        store.append(update)
    everything = np.concatenate(all_values, axis=1)
    assert store.stop == everything.shape[1]
    held = store.values()
    np.testing.assert_array_equal(held, everything[:, store.start:])
    assert store.start % store.chunk_steps == 0
    assert len(store) <= store.capacity_steps + store.chunk_steps
    assert store.nbytes <= (len(store) + store.chunk_steps) * paths * 8
    np.testing.assert_array_equal(store.values(store.start + 3, store.stop - 2),
                                  everything[:, store.start + 3:store.stop - 2])
    with pytest.raises(ValueError):
        store.append(np.zeros((paths + 1, 2)))


def test_displacement_series_is_exact_at_the_steps_it_keeps_and_bounded():
    model = BrownianMotion(seed=2, paths=50, batch=1000)
    series = DisplacementSeries(max_points=256)
    positions = []
    for _ in range(20):
        x, y = model.advance()
        series.append(x, y)
        positions.append(y)
    steps, msd = series.series()
    everything = np.concatenate(positions, axis=1)
    assert len(steps) <= 256 and np.all(steps % series.stride == 0)
    assert np.all(np.diff(steps) == series.stride)
    np.testing.assert_allclose(msd, (everything[:, steps.astype(int) - 1] ** 2).mean(axis=0),
                               rtol=1e-12)
