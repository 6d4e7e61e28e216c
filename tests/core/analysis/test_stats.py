"""The vectorised bootstrap of Spearman's rho against the loop it replaced, and Wilson's interval."""

from __future__ import annotations

import numpy as np
import pytest

from advgui.core.analysis.stats import ranks, spearman, spearman_interval, wilson


def loop_interval(a: np.ndarray, b: np.ndarray, rounds: int = 2000,
                  seed: int = 0) -> tuple[float, float]:
    """The reference: one resample at a time through spearman() (the release's code)."""
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


def eps_like(rng: np.random.Generator, n: int) -> np.ndarray:
    """eps-to-flip as a study records it: few levels, many ties, never flipped = inf."""
    return np.where(rng.random(n) < 0.3, np.inf, rng.choice([1, 2, 3, 4, 8, 16.0], n))


@pytest.mark.parametrize("n", [3, 4, 5, 9, 40, 257])
def test_vectorised_bootstrap_draws_the_same_resamples_as_the_loop(n: int) -> None:
    rng = np.random.default_rng(n)
    a, b = rng.random(n), eps_like(rng, n)
    fast, slow = spearman_interval(a, b, rounds=400), loop_interval(a, b, rounds=400)
    # Same seed, same resamples: only the floating-point order of the sums differs.
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)
    assert [f"{v:.4f}" for v in fast] == [f"{v:.4f}" for v in slow]  # as the reports print it


def test_vectorised_bootstrap_agrees_statistically_on_another_seed() -> None:
    rng = np.random.default_rng(1)
    a = rng.random(300)
    b = np.exp(-3 * a + rng.normal(0, 1, 300))  # a real negative correlation
    lo, hi = spearman_interval(a, b, seed=7)
    ref_lo, ref_hi = loop_interval(a, b, seed=0)
    assert lo < spearman(a, b) < hi
    assert abs(lo - ref_lo) < 0.03 and abs(hi - ref_hi) < 0.03


def test_bootstrap_of_constant_or_tiny_data_is_nan() -> None:
    assert np.isnan(spearman_interval(np.ones(6), np.arange(6.0))).all()
    assert np.isnan(spearman_interval(np.arange(2.0), np.arange(2.0))).all()
    assert np.isnan(loop_interval(np.ones(6), np.arange(6.0))).all()


def test_ranks_and_wilson() -> None:
    assert ranks(np.array([3.0, 1.0, np.inf, 1.0])).tolist() == [3.0, 1.5, 4.0, 1.5]
    assert np.isnan(wilson(0, 0)).all()
    lo, hi = wilson(5, 10)
    assert 0.23 < lo < 0.24 and 0.76 < hi < 0.77
