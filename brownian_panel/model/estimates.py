"""The walk against theory: its variance schedule and the statistics of its increments.

numpy and the standard library only. ``VarianceSchedule`` records the variance each step was
drawn with, so the theoretical variance of the position after step k is the sum of the
increment variances so far, however often the variance changed. ``IncrementStatistics``
accumulates the increments drawn since the last variance change (count, mean, sum of squared
deviations, a fixed-bin histogram) in O(batch) per update, never keeping the increments, and
gives the sample variance with its chi-square confidence interval.
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

import numpy as np

#: Degrees of freedom above which chi-square quantiles use the Wilson–Hilferty approximation
#: instead of inverting the exact distribution function (Newton's method, about 30-100 µs here).
#: Its relative error is below 2e-5 from there on (1e-6 in the 2.5% and 97.5% quantiles used
#: for the 95% interval) and falls as the degrees of freedom grow.
EXACT_DOF_LIMIT = 1000

#: Exact quantiles kept (``_exact_chi2_quantile``): both of the 95% interval's for every
#: degree of freedom up to ``EXACT_DOF_LIMIT``, with room for other levels.
EXACT_QUANTILES_KEPT = 4096


def _regularized_lower_gamma(a: float, x: float) -> float:
    """P(a, x), the regularized lower incomplete gamma function (series or continued fraction)."""
    if x <= 0:
        return 0.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:  # series
        term = total = 1.0 / a
        denominator = a
        for _ in range(10_000):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return total * math.exp(log_prefix)
    # Continued fraction for Q(a, x) (modified Lentz).
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    fraction = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1) < 1e-16:
            break
    return 1.0 - math.exp(log_prefix) * fraction


def chi2_quantile(p: float, dof: int) -> float:
    """The ``p`` quantile of the chi-square distribution with ``dof`` degrees of freedom."""
    if not 0 < p < 1:
        raise ValueError(f"p must be strictly between 0 and 1, not {p!r}")
    if dof < 1:
        raise ValueError(f"dof must be at least 1, not {dof!r}")
    if dof > EXACT_DOF_LIMIT:
        return _wilson_hilferty(p, dof)
    return _exact_chi2_quantile(p, dof)


def _wilson_hilferty(p: float, dof: int) -> float:
    z = NormalDist().inv_cdf(p)
    h = 2 / (9 * dof)
    return dof * max(1 - h + z * math.sqrt(h), 1e-3) ** 3


# A pure function of a small domain, asked twice at every statistics refresh of every page:
# each answer computed once per process (listed in runtime.registry.PROCESS_STATE).
@functools.lru_cache(maxsize=EXACT_QUANTILES_KEPT)
def _exact_chi2_quantile(p: float, dof: int) -> float:
    # Newton's method on the distribution function from the approximation, kept inside a
    # bracket that bisection narrows whenever a step would leave it (usually 3-5 steps).
    a = dof / 2
    log_norm = a * math.log(2) + math.lgamma(a)
    low, high = 0.0, math.inf
    x = _wilson_hilferty(p, dof)
    for _ in range(200):
        error = _regularized_lower_gamma(a, x / 2) - p
        if error < 0:
            low = x
        else:
            high = x
        density = math.exp((a - 1) * math.log(x) - x / 2 - log_norm)
        step = error / density if density > 0 else math.inf
        candidate = x - step
        if not low < candidate < high:  # Newton left the bracket: bisect instead
            candidate = (low + high) / 2 if math.isfinite(high) else 2 * x
        if abs(candidate - x) <= 1e-13 * x:
            return candidate
        x = candidate
    return x


def variance_interval(sample_variance: float, count: int, level: float = 0.95
                      ) -> tuple[float, float]:
    """Confidence interval of a normal variance from the sample variance of ``count`` values:
    ((n-1) s² / χ²(1-α/2), (n-1) s² / χ²(α/2)) with n-1 degrees of freedom."""
    if count < 2:
        raise ValueError("a variance interval needs at least 2 values")
    dof = count - 1
    tail = (1 - level) / 2
    return (dof * sample_variance / chi2_quantile(1 - tail, dof),
            dof * sample_variance / chi2_quantile(tail, dof))


class VarianceSchedule:
    """The variance each step was drawn with since the last restart, as segments.

    Segment i covers steps ``starts[i]`` up to the next start (steps count from 1).
    """

    def __init__(self):
        self._starts: list[int] = []
        self._variances: list[float] = []
        #: Sum of the variances of the steps before each segment's start.
        self._before: list[float] = []

    def record(self, first_step: int, variance: float) -> None:
        """The steps from ``first_step`` on are drawn with ``variance`` (until the next record;
        steps count from 1 and records come in order)."""
        if self._variances and self._variances[-1] == variance:
            return
        if self._starts:
            steps = first_step - self._starts[-1]
            self._before.append(self._before[-1] + steps * self._variances[-1])
        else:
            self._before.append(0.0)
        self._starts.append(first_step)
        self._variances.append(float(variance))

    @property
    def segments(self) -> list[tuple[int, float]]:
        """``(first_step, variance)`` of each segment, oldest first."""
        return list(zip(self._starts, self._variances, strict=True))

    @property
    def last_variance(self) -> float | None:
        """The variance of the latest steps (None before any)."""
        return self._variances[-1] if self._variances else None

    @property
    def starts(self) -> np.ndarray:
        return np.asarray(self._starts, dtype=np.float64)

    def cumulative(self, steps: np.ndarray) -> np.ndarray:
        """Sum of the increment variances up to and including each step (0 at step 0): the
        theoretical variance of the position there. Steps past the last recorded one continue
        the last segment."""
        steps = np.asarray(steps, dtype=np.float64)
        if not self._starts:
            return np.zeros_like(steps)
        starts = np.asarray(self._starts, dtype=np.float64)
        segment = np.searchsorted(starts, steps, side="right") - 1
        inside = segment >= 0
        segment = np.maximum(segment, 0)
        variances = np.asarray(self._variances)[segment]
        before = np.asarray(self._before)[segment]
        return np.where(inside, before + (steps - starts[segment] + 1) * variances, 0.0)


class IncrementStatistics:
    """Count, mean, spread and histogram of the increments drawn with one variance."""

    #: Histogram bins span this many standard deviations each side of 0.
    SPAN = 4.0

    def __init__(self, variance: float, bins: int = 40):
        self.variance = float(variance)
        self.count = 0
        self.mean = 0.0
        self._squares = 0.0  # sum of squared deviations from the mean
        sd = math.sqrt(self.variance)
        #: Bin edges over ±SPAN standard deviations (None for variance 0: all increments are 0).
        self.edges = np.linspace(-self.SPAN * sd, self.SPAN * sd, bins + 1) if sd > 0 else None
        self._low, self._high = -self.SPAN * sd, self.SPAN * sd
        self.counts = np.zeros(bins, dtype=np.int64)
        #: Increments outside the bins.
        self.outside = 0

    def add(self, increments: np.ndarray) -> None:
        """Accumulate a batch (Chan et al.'s pairwise update of the mean and spread)."""
        values = np.asarray(increments, dtype=np.float64)
        n = len(values)
        if n == 0:
            return
        if n == 1:  # the common update of one point: plain floats, no numpy round trips
            self._add_one(float(values[0]))
            return
        batch_mean = float(values.mean())
        batch_squares = float(((values - batch_mean) ** 2).sum())
        total = self.count + n
        delta = batch_mean - self.mean
        self._squares += batch_squares + delta * delta * self.count * n / total
        self.mean += delta * n / total
        self.count = total
        if self.edges is not None:
            low, high = self._low, self._high
            bins = len(self.counts)
            index = np.floor((values - low) * (bins / (high - low))).astype(np.int64)
            inside = (index >= 0) & (index < bins)
            self.counts += np.bincount(index[inside], minlength=bins)
            self.outside += int(n - inside.sum())

    def _add_one(self, value: float) -> None:
        """Welford's update for a single value, binned like ``add``."""
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self._squares += delta * (value - self.mean)
        if self.edges is not None:
            low, high = self._low, self._high
            index = math.floor((value - low) * (len(self.counts) / (high - low)))
            if 0 <= index < len(self.counts):
                self.counts[index] += 1
            else:
                self.outside += 1

    @property
    def sample_variance(self) -> float:
        """The unbiased sample variance (n - 1 in the denominator); NaN below 2 values."""
        return self._squares / (self.count - 1) if self.count >= 2 else math.nan

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The chi-square confidence interval of the variance."""
        return variance_interval(self.sample_variance, self.count, level)

    def density(self) -> np.ndarray:
        """The histogram as a density (its area over the bins is the share inside them)."""
        if self.edges is None or self.count == 0:
            return np.zeros_like(self.counts, dtype=np.float64)
        return self.counts / (self.count * np.diff(self.edges))

    def summary(self) -> str:
        """E.g. "σ² ≈ 0.98 (95% CI 0.94–1.03, n = 4,000)"."""
        if self.count < 2:
            return f"σ² ≈ – (n = {self.count:,}; the estimate needs 2 increments)"
        estimate = self.sample_variance
        if self.variance == 0:
            return f"σ² ≈ {estimate:.3g} (n = {self.count:,}; variance 0: every increment is 0)"
        low, high = self.interval()
        return f"σ² ≈ {estimate:.3g} (95% CI {low:.3g}–{high:.3g}, n = {self.count:,})"


def normal_density(variance: float, span: float = IncrementStatistics.SPAN, points: int = 161
                   ) -> tuple[np.ndarray, np.ndarray]:
    """x and the N(0, variance) density over ±``span`` standard deviations."""
    sd = math.sqrt(variance)
    if sd == 0:
        return np.empty(0), np.empty(0)
    x = np.linspace(-span * sd, span * sd, points)
    return x, np.exp(-0.5 * (x / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
