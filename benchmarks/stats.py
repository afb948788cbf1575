"""Percentiles of measured samples: the one definition every benchmark reports with."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100, linear between samples; NaN without samples)."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def distribution(values: Sequence[float], digits: int = 1) -> dict:
    """``n``, ``p50``, ``p99`` and ``max`` of ``values``, rounded to ``digits``."""
    if not len(values):
        return {"n": 0}
    return {"n": len(values), "p50": round(percentile(values, 50), digits),
            "p99": round(percentile(values, 99), digits),
            "max": round(float(np.max(values)), digits)}
