"""Intervals and rank correlation: Wilson's interval of a rate, the bootstrap interval of a mean,
Spearman's rho and its bootstrap interval."""

from __future__ import annotations

import math

import numpy as np

# Resamples scored at once: a [chunk, images] table of ranks stays a few tens of MB at 3,000 images.
_CHUNK = 250
_RESAMPLED_VALUES = 4_000_000  # values in one chunk of mean_interval's resamples (32 MB)


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (nan, nan) for n = 0."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values: np.ndarray, rounds: int = 10_000,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """95 % percentile-bootstrap interval of the mean of ``values`` [n] or [n, k] along axis 0.

    Rows (images) are resampled with replacement, ``rounds`` times: a resample is
    ``rng.integers(0, n, n)`` drawn in turn from ``default_rng(seed)``, so a seed gives the same
    interval on every run; with k columns a resample takes the same rows of every column (one
    interval per column). The interval is the 2.5th and 97.5th percentile of the resampled means.
    Returns (low, high) shaped like one row; nan where n < 2 (one value has nothing to resample).
    values must be finite: leave out the rows a measure has no value for before calling.

    A percentile interval stays within the data's range (a cosine's never exceeds 1, a distance's
    never goes below 0, where a t interval can) and assumes no normal shape. Like every bootstrap
    it is too narrow at small n: on two skewed measures it held the mean in 48 % of samples at
    n = 2, 71 % at 3, 81 % at 5, 86-89 % at 10, 92 % at 30 and 93-94 % at 100
    (benchmarks/bootstrap_coverage.py), so n goes beside it."""
    values = np.asarray(values, np.float64)
    n = values.shape[0]
    if n < 2:
        nan = np.full(values.shape[1:], np.nan)
        return nan, nan.copy()
    rng = np.random.default_rng(seed)
    chunk = max(1, _RESAMPLED_VALUES // values.size)  # resamples drawn and averaged at once
    means = np.concatenate([values[rng.integers(0, n, (min(chunk, rounds - start), n))].mean(axis=1)
                            for start in range(0, rounds, chunk)])
    low, high = np.percentile(means, [2.5, 97.5], axis=0)
    return low, high


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the average of their ranks (inf ranks last)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2)[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _resampled_ranks(codes: np.ndarray, distinct: int, idx: np.ndarray) -> tuple[np.ndarray,
                                                                                   np.ndarray]:
    """([rounds, n] tie-averaged ranks within each resample, [rounds] whether a resample holds one
    value only). codes are the values' ranks among the distinct values (0 .. distinct-1): a
    value's rank in a resample is the count of smaller values drawn, plus half its own ties + 1."""
    rounds, n = idx.shape
    drawn = codes[idx]
    offsets = np.arange(rounds)[:, None] * distinct
    counts = np.bincount((drawn + offsets).ravel(), minlength=rounds * distinct)
    counts = counts.reshape(rounds, distinct)
    below = np.cumsum(counts, axis=1) - counts
    average = below + (counts + 1) / 2
    return np.take_along_axis(average, drawn, axis=1), counts.max(axis=1) == n


def _row_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x * y).sum(axis=1) / np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    return np.clip(r, -1.0, 1.0)


def spearman_interval(a: np.ndarray, b: np.ndarray, rounds: int = 2000,
                      seed: int = 0) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of Spearman's rho (images resampled)."""
    lo, hi, _ = spearman_bootstrap(a, b, rounds, seed)
    return lo, hi


def spearman_bootstrap(a: np.ndarray, b: np.ndarray, rounds: int = 2000,
                       seed: int = 0) -> tuple[float, float, int]:
    """(95 % percentile-bootstrap interval of Spearman's rho, how many of the rounds drew one
    value only of a or b and were left out of it: rho has no value there).

    When nearly every image ties (say all but one flip at level 1), a third of the resamples
    can be left out, and the interval is then that of the resamples holding the odd image:
    it can even lie wholly above the estimate (tests/core/analysis/test_fragility.py).

    The resamples are the ones a loop of ``rng.integers(0, n, n)`` draws from ``seed`` (drawn in
    that order, so a seed gives the intervals it always gave); their ranks and correlations are
    computed a chunk of resamples at a time."""
    rng = np.random.default_rng(seed)
    n = len(a)
    if n < 3:
        return float("nan"), float("nan"), 0
    _, code_a = np.unique(np.asarray(a), return_inverse=True)
    _, code_b = np.unique(np.asarray(b), return_inverse=True)
    code_a, code_b = code_a.ravel(), code_b.ravel()
    distinct_a, distinct_b = int(code_a.max()) + 1, int(code_b.max()) + 1
    values = []
    for start in range(0, rounds, _CHUNK):
        idx = np.stack([rng.integers(0, n, n) for _ in range(min(_CHUNK, rounds - start))])
        ra, flat_a = _resampled_ranks(code_a, distinct_a, idx)
        rb, flat_b = _resampled_ranks(code_b, distinct_b, idx)
        rho = _row_pearson(ra, rb)
        rho[flat_a | flat_b] = np.nan  # one value only: no rank correlation (as spearman())
        values.append(rho)
    values = np.concatenate(values)
    finite = np.isfinite(values)
    left_out = int((~finite).sum())
    values = values[finite]
    if not len(values):
        return float("nan"), float("nan"), left_out
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)), left_out
