"""Intervals and rank correlation: Wilson's interval of a rate, Spearman's rho and its bootstrap
interval."""

from __future__ import annotations

import math

import numpy as np

def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (nan, nan) for n = 0."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the average of their ranks (inf ranks last)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2)[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def spearman_interval(a: np.ndarray, b: np.ndarray, rounds: int = 2000,
                      seed: int = 0) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of Spearman's rho (images resampled)."""
    rng = np.random.default_rng(seed)
    n = len(a)
    if n < 3:
        return float("nan"), float("nan")
    values = np.asarray([spearman(a[i], b[i]) for i in (rng.integers(0, n, n)
                                                        for _ in range(rounds))])
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))
