"""The layer-divergence profile per tier (divergence_by_tier.csv and its figure): every mean with
its 95 % percentile-bootstrap interval over the tier's images and its n, on synthetic values."""

from __future__ import annotations

import numpy as np
import pytest

from advgui.core.analysis.divergence_profile import (COLUMNS, divergence_by_tier, profile_csv,
                                                     profile_figure, tier_label)
from advgui.core.analysis.stats import mean_interval

BLOCKS = ("conv", "mixed", "features")


def _synthetic(n: int, seed: int, tier: str = "high"):
    """n images' relative L2 (skewed, growing with depth) and cosine (just under 1)."""
    rng = np.random.default_rng(seed)
    rel = rng.lognormal(0.0, 0.5, (n, len(BLOCKS))) * np.array([0.1, 0.5, 1.0])
    cos = 1.0 - rng.beta(1.0, 20.0, (n, len(BLOCKS)))
    return [tier] * n, rel, cos


def _width(rows: list[dict], block: str, measure: str = "relative_l2") -> float:
    row = next(r for r in rows if r["block"] == block)
    return float(row[f"{measure}_high"]) - float(row[f"{measure}_low"])


def test_each_mean_lies_in_its_interval_and_a_cosine_interval_stays_below_one() -> None:
    rows = divergence_by_tier(BLOCKS, *_synthetic(12, 1))
    assert [r["block"] for r in rows] == list(BLOCKS)
    for r in rows:
        for m in ("relative_l2", "cosine"):
            assert float(r[f"{m}_low"]) < float(r[f"mean_{m}"]) < float(r[f"{m}_high"])
            assert r[f"{m}_n"] == 12
        assert float(r["cosine_high"]) <= 1.0


def test_the_interval_narrows_as_the_tier_grows() -> None:
    """Same distribution, 10 and 1,000 images: the half-width falls about as 1/sqrt(n) (10x)."""
    small = divergence_by_tier(BLOCKS, *_synthetic(10, 2))
    large = divergence_by_tier(BLOCKS, *_synthetic(1000, 3))
    for block in BLOCKS:
        for m in ("relative_l2", "cosine"):
            assert _width(large, block, m) < _width(small, block, m) / 4


def test_the_mean_and_interval_are_the_numpy_ones_and_reruns_are_identical() -> None:
    tiers, rel, cos = _synthetic(40, 4)
    first = profile_csv(divergence_by_tier(BLOCKS, tiers, rel, cos))
    assert first == profile_csv(divergence_by_tier(BLOCKS, tiers, rel, cos))
    rows = divergence_by_tier(BLOCKS, tiers, rel, cos)
    np.testing.assert_allclose([float(r["mean_relative_l2"]) for r in rows], rel.mean(axis=0),
                               rtol=1e-5)
    # Independent of mean_interval's code: the resampled means drawn with the same generator.
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 40, (10_000, 40))
    low, high = np.percentile(rel[idx].mean(axis=1), [2.5, 97.5], axis=0)
    np.testing.assert_allclose([float(r["relative_l2_low"]) for r in rows], low, rtol=1e-5)
    np.testing.assert_allclose([float(r["relative_l2_high"]) for r in rows], high, rtol=1e-5)


def test_the_interval_agrees_with_scipys_percentile_bootstrap() -> None:
    stats = pytest.importorskip("scipy.stats")
    values = np.random.default_rng(5).lognormal(0, 0.5, 60)
    low, high = mean_interval(values)
    ref = stats.bootstrap((values,), np.mean, method="percentile", n_resamples=10_000,
                          rng=np.random.default_rng(9)).confidence_interval
    width = ref.high - ref.low
    assert abs(low - ref.low) < 0.05 * width and abs(high - ref.high) < 0.05 * width


def test_one_image_has_no_interval_and_an_empty_tier_no_rows() -> None:
    tiers, rel, cos = _synthetic(13, 6)
    tiers = ["high"] * 12 + ["low"]
    rows = divergence_by_tier(BLOCKS, tiers, rel, cos)
    assert [r["tier"] for r in rows] == ["high"] * 3 + ["low"] * 3
    low_rows = [r for r in rows if r["tier"] == "low"]
    for r, b in zip(low_rows, range(len(BLOCKS))):
        assert r["images"] == 1 and r["relative_l2_n"] == 1
        assert float(r["mean_relative_l2"]) == pytest.approx(rel[12, b], rel=1e-5)
        assert r["relative_l2_low"] == r["relative_l2_high"] == "nan"
    fig = profile_figure(rows, BLOCKS, "synthetic")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["high (n = 12)", "low (n = 1, no interval)"]
    words = " ".join(t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text")))
    assert "no images, not drawn: medium" in words and "95 % percentile bootstrap" in words
    # One band per tier of two or more images, in each panel; none for the single image.
    assert [len(ax.collections) for ax in fig.axes] == [1, 1]


def test_a_tier_of_few_images_is_called_few() -> None:
    """Under ten images the percentile interval holds the mean well under 95 % of the time."""
    rows = divergence_by_tier(BLOCKS, ["medium"] * 4, *_synthetic(4, 9)[1:])
    legend = [t.get_text() for t in
              profile_figure(rows, BLOCKS, "few").axes[0].get_legend().get_texts()]
    assert legend == ["medium (n = 4, few: band too narrow)"]
    assert tier_label("high", 9) != tier_label("high", 10) == "high (n = 10)"


def test_an_image_without_a_value_at_a_block_leaves_that_blocks_mean_only() -> None:
    """A clean activation of all zeros has no relative L2 there: that block's mean, interval and
    n leave the image out; the other blocks keep it."""
    tiers, rel, cos = _synthetic(8, 7)
    rel[3, 1] = np.nan
    rows = divergence_by_tier(BLOCKS, tiers, rel, cos)
    assert [r["relative_l2_n"] for r in rows] == [8, 7, 8]
    assert [r["images"] for r in rows] == [8, 8, 8]
    assert float(rows[1]["mean_relative_l2"]) == pytest.approx(np.nanmean(rel[:, 1]), rel=1e-5)
    assert float(rows[1]["relative_l2_low"]) < float(rows[1]["mean_relative_l2"])


def test_the_old_columns_come_first_in_their_order() -> None:
    header = profile_csv(divergence_by_tier(BLOCKS, *_synthetic(3, 8))).splitlines()[0]
    assert header.split(",")[:5] == ["tier", "block", "images", "mean_relative_l2", "mean_cosine"]
    assert tuple(header.split(",")) == COLUMNS
