"""BrownianMotion: increments, reproducibility, reset and bounds, without a server."""

from __future__ import annotations

import math

import numpy as np
import pytest

from brownian_panel import BrownianMotion


def draw_increments(variance: float, count: int, seed: int = 1) -> np.ndarray:
    """``count`` increments of a path, drawn in updates of the largest batch."""
    model = BrownianMotion(variance=variance, batch=BrownianMotion.param.batch.bounds[1], seed=seed)
    path = np.concatenate([model.advance()[1] for _ in range(-(-count // model.batch))])
    return np.diff(np.concatenate([[0.0], path]))[:count]


@pytest.mark.parametrize("variance", [0.5, 2.0])
def test_increments_have_the_requested_variance(variance):
    n = 20_000
    increments = draw_increments(variance, n)
    # (n-1) s^2 / sigma^2 ~ chi-square(n-1); for large n, s^2 ~ N(sigma^2, 2 sigma^4/(n-1)).
    # A 5-sigma band fails a correct generator with probability ~6e-7.
    tolerance = 5 * variance * math.sqrt(2 / (n - 1))
    assert abs(increments.var(ddof=1) - variance) < tolerance
    assert abs(increments.mean()) < 5 * math.sqrt(variance / n)


def test_variance_is_not_used_as_standard_deviation():
    # The original passed the slider value as a standard deviation: at 2.0 that gives 4.0.
    assert draw_increments(2.0, 20_000).var(ddof=1) < 2.5


def test_zero_variance_gives_a_flat_path():
    model = BrownianMotion(variance=0.0, batch=100, seed=3)
    x, y = model.advance()
    assert np.all(y == 0.0)
    np.testing.assert_array_equal(x, np.arange(1, 101))


def test_advance_continues_x_and_y():
    model = BrownianMotion(batch=5, seed=11)
    x1, y1 = model.advance()
    x2, y2 = model.advance()
    np.testing.assert_array_equal(np.concatenate([x1, x2]), np.arange(1, 11))
    assert model.steps == 10
    assert model.position == y2[-1]
    whole = BrownianMotion(batch=10, seed=11).advance()[1]
    np.testing.assert_allclose(np.concatenate([y1, y2]), whole)


def test_same_seed_gives_the_same_path_and_other_seeds_differ():
    paths = [BrownianMotion(seed=seed, batch=50).advance()[1] for seed in (7, 7, 8)]
    np.testing.assert_array_equal(paths[0], paths[1])
    assert not np.allclose(paths[0], paths[2])


def test_reset_restarts_the_path_and_replays_a_seeded_one():
    model = BrownianMotion(seed=5, batch=20)
    first = model.advance()[1]
    model.advance()
    run = model.run
    model.reset()
    assert (model.steps, model.position, model.run) == (0, 0.0, run + 1)
    x, y = model.advance()
    assert x[0] == 1
    np.testing.assert_array_equal(y, first)


def test_new_seed_restarts_the_path():
    model = BrownianMotion(seed=1, batch=3)
    model.advance()
    model.seed = 2
    assert model.steps == 0 and model.run == 1
    np.testing.assert_array_equal(model.advance()[1], BrownianMotion(seed=2, batch=3).advance()[1])


def test_variance_change_applies_to_the_next_update():
    model = BrownianMotion(seed=1, batch=1000)
    model.advance()
    model.variance = 0.0
    _, y = model.advance()
    assert np.all(y == y[0])


@pytest.mark.parametrize(("name", "value"), [
    ("variance", -1), ("variance", 3), ("variance", 2.0000001), ("variance", float("nan")),
    ("variance", float("inf")), ("variance", 1e308), ("variance", "abc"), ("variance", [1]),
    ("variance", None), ("variance", True),
    ("period", 0), ("period", -5), ("period", 19), ("period", 10_001), ("period", 50.5),
    ("batch", 0), ("batch", 100_001), ("batch", True), ("history", 99_999),
    ("history", 10**8 + 1),
    ("window", 9), ("window", 10**12), ("window", "20000"),
    ("seed", -1), ("seed", 2**60), ("seed", 1.5),
    ("paused", "yes"),
])
def test_out_of_bounds_values_are_refused_and_the_old_value_kept(name, value):
    model = BrownianMotion()
    before = getattr(model, name)
    with pytest.raises(ValueError, match=name):
        setattr(model, name, value)
    assert getattr(model, name) == before


@pytest.mark.parametrize(("name", "value"), [
    ("variance", 0.0), ("variance", 2.0), ("period", 20), ("period", 10_000), ("batch", 100_000),
    ("history", 100_000), ("history", 10**8),
    ("window", 10), ("window", 1_000_000), ("seed", 0), ("seed", None), ("paused", True),
])
def test_values_at_the_bounds_are_accepted(name, value):
    model = BrownianMotion()
    setattr(model, name, value)
    assert getattr(model, name) == value


def test_run_cannot_be_set():
    with pytest.raises(TypeError):
        BrownianMotion().run = 3


def test_every_parameter_is_documented():
    undocumented = [name for name, parameter in BrownianMotion.param.objects().items()
                    if name != "name" and not (parameter.doc or "").strip()]
    assert undocumented == []


def test_model_module_does_not_import_panel():
    import brownian_panel.model.walk as model_module
    source = open(model_module.__file__).read()
    assert "import panel" not in source and "from panel" not in source
