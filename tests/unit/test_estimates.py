"""The variance schedule and increment statistics against exact references (scipy, numpy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from brownian_panel.model import estimates
from brownian_panel.model.estimates import (
    EXACT_DOF_LIMIT,
    EXACT_QUANTILES_KEPT,
    IncrementStatistics,
    VarianceSchedule,
    chi2_quantile,
    normal_density,
    variance_interval,
)
from brownian_panel.model.walk import BrownianMotion


@pytest.mark.parametrize("dof", [1, 2, 3, 7, 30, 100, 999, 1000, 1001, 5000, 10**5, 10**7])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.5, 0.975, 0.999])
def test_chi2_quantiles_match_scipy(dof, p):
    tolerance = 1e-9 if dof <= 1000 else 2e-5
    assert chi2_quantile(p, dof) == pytest.approx(stats.chi2.ppf(p, dof), rel=tolerance)


def test_exact_quantiles_are_computed_once_and_kept_within_bounds():
    computed = estimates._exact_chi2_quantile
    computed.cache_clear()
    try:
        first = [chi2_quantile(p, dof) for dof in range(1, EXACT_DOF_LIMIT + 1)
                 for p in (0.025, 0.975)]
        assert computed.cache_info().misses == 2 * EXACT_DOF_LIMIT
        again = [chi2_quantile(p, dof) for dof in range(1, EXACT_DOF_LIMIT + 1)
                 for p in (0.025, 0.975)]
        assert again == first and computed.cache_info().hits == 2 * EXACT_DOF_LIMIT
        assert first[2 * 99 + 1] == pytest.approx(stats.chi2.ppf(0.975, 100), rel=1e-9)
        for dof in range(1, EXACT_DOF_LIMIT + 1):  # other levels: the oldest answers go
            chi2_quantile(0.1, dof), chi2_quantile(0.9, dof), chi2_quantile(0.2, dof)
        assert computed.cache_info().currsize == EXACT_QUANTILES_KEPT
        assert chi2_quantile(0.5, EXACT_DOF_LIMIT + 1) == pytest.approx(
            stats.chi2.ppf(0.5, EXACT_DOF_LIMIT + 1), rel=2e-5)  # closed form: not kept
        assert computed.cache_info().currsize == EXACT_QUANTILES_KEPT
    finally:
        computed.cache_clear()


@pytest.mark.parametrize("p, dof", [(0, 5), (1, 5), (0.5, 0), (-0.1, 3)])
def test_chi2_quantile_rejects_impossible_arguments(p, dof):
    with pytest.raises(ValueError):
        chi2_quantile(p, dof)


def test_variance_interval_is_the_chi_square_interval():
    low, high = variance_interval(0.98, 4000)
    assert low == pytest.approx(3999 * 0.98 / stats.chi2.ppf(0.975, 3999), rel=1e-5)
    assert high == pytest.approx(3999 * 0.98 / stats.chi2.ppf(0.025, 3999), rel=1e-5)


def test_the_interval_covers_the_true_variance_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(2000):
        statistics = IncrementStatistics(variance=1.5)
        statistics.add(rng.normal(0, math.sqrt(1.5), 20))
        low, high = statistics.interval()
        covered += low <= 1.5 <= high
    assert 0.93 <= covered / 2000 <= 0.97


def test_statistics_in_batches_equal_numpy_on_all_increments():
    rng = np.random.default_rng(1)
    values = rng.normal(0, 0.7, 10_001)
    statistics = IncrementStatistics(variance=0.49)
    for part in np.array_split(values, [1, 2, 500, 501, 502, 503, 7000]):
        statistics.add(part)  # single values take the scalar path
    assert statistics.count == len(values)
    assert statistics.mean == pytest.approx(values.mean(), rel=1e-10)
    assert statistics.sample_variance == pytest.approx(values.var(ddof=1), rel=1e-12)
    counts, edges = np.histogram(values, bins=statistics.edges)
    assert np.array_equal(edges, statistics.edges)
    assert statistics.counts.tolist() == counts.tolist()
    assert statistics.outside == len(values) - counts.sum()
    assert (statistics.density() * np.diff(edges)).sum() == pytest.approx(
        counts.sum() / len(values))


def test_summary_text():
    statistics = IncrementStatistics(variance=1.0)
    assert "n = 0" in statistics.summary()
    statistics.add(np.random.default_rng(3).normal(0, 1, 4000))
    low, high = statistics.interval()
    assert statistics.summary() == (f"σ² ≈ {statistics.sample_variance:.3g} "
                                    f"(95% CI {low:.3g}–{high:.3g}, n = 4,000)")


def test_zero_variance_has_no_histogram_and_says_why():
    statistics = IncrementStatistics(variance=0.0)
    statistics.add(np.zeros(10))
    assert statistics.edges is None and statistics.sample_variance == 0
    assert "every increment is 0" in statistics.summary()
    assert normal_density(0.0)[0].size == 0


def test_normal_density_is_the_normal_pdf():
    x, density = normal_density(0.3)
    assert density == pytest.approx(stats.norm.pdf(x, scale=math.sqrt(0.3)), rel=1e-12)


def test_schedule_sums_the_increment_variances_step_by_step():
    schedule = VarianceSchedule()
    schedule.record(1, 1.0)
    schedule.record(4, 1.0)  # same variance: same segment
    schedule.record(11, 0.25)
    schedule.record(21, 2.0)
    per_step = np.array([1.0] * 10 + [0.25] * 10 + [2.0] * 10)
    steps = np.arange(0, 31)
    expected = np.concatenate([[0.0], np.cumsum(per_step)])
    assert schedule.cumulative(steps) == pytest.approx(expected, abs=1e-12)
    assert schedule.segments == [(1, 1.0), (11, 0.25), (21, 2.0)]
    assert schedule.cumulative(np.array([35.0]))[0] == pytest.approx(expected[-1] + 10)


def test_the_model_records_the_variance_each_update_was_drawn_with():
    model = BrownianMotion(seed=5, batch=10)
    x, y = model.advance()
    assert np.diff(np.concatenate([[0.0], y])) == pytest.approx(model.increments, abs=1e-12)
    model.variance = 0.5
    model.advance()
    model.advance()
    model.variance = 1.5
    model.advance()
    assert model.schedule.segments == [(1, 1.0), (11, 0.5), (31, 1.5)]
    assert model.schedule.cumulative(np.array([40.0]))[0] == pytest.approx(10 + 10 + 15)
    assert not model.increments.flags.writeable
    model.reset()
    assert model.schedule.segments == [] and model.increments.size == 0
