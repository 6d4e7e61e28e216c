"""eps-to-flip against a brute-force scan, Spearman's rho, deciles and quantile tiers."""

from __future__ import annotations

import numpy as np
import pytest

from advgui.core.attacks import FastGradientSign, IterativeGradientSign, Target
from advgui.core.model.classifier import Classifier
from advgui.core.analysis.fragility import format_fragility, fragility_rows
from advgui.core.analysis.stats import ranks, spearman
from advgui.core.study.fragility_search import fast_eps_to_flip
from advgui.core.records.config import quantile_thresholds
from tests.helpers.models import images, tiny_classifier_model


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(tiny_classifier_model(), name="tiny", device="cpu")


def _run(attack, clf, x, target):
    gen = attack.run(clf, x, target)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


@pytest.mark.parametrize("target", ["inverse", "least-likely"])
def test_fast_eps_to_flip_is_the_first_level_whose_8_bit_attack_flips(clf, target) -> None:
    x = images(12, seed=4)
    t = Target.parse(target, clf.num_classes)
    grid = tuple(range(1, 41))
    found = fast_eps_to_flip(clf, x, t, grid=grid)
    top1 = clf.probabilities(x).argmax(1)
    brute = np.full(len(x), np.inf)
    for eps in grid:  # every level, each a full fast attack scored after rounding
        flipped = _run(FastGradientSign(eps=eps), clf, x, t).pixel_probabilities.argmax(1) != top1
        brute[np.isinf(brute) & flipped] = eps
    np.testing.assert_array_equal(found, brute)
    assert np.isfinite(found).sum() >= 6  # the scan is not trivially all-inf


def test_fast_eps_to_flip_on_a_coarse_grid_is_the_first_grid_level(clf) -> None:
    x = images(12, seed=4)
    t = Target.parse("inverse", clf.num_classes)
    fine = fast_eps_to_flip(clf, x, t, grid=tuple(range(1, 65)))
    coarse = fast_eps_to_flip(clf, x, t, grid=(2, 4, 8, 16, 32, 64))
    assert np.all(coarse >= fine)


def test_iterative_records_the_linf_at_its_first_flip(clf) -> None:
    x = images(6, seed=5)
    result = _run(IterativeGradientSign(eps=8, alpha=1, steps=10), clf, x,
                  Target.parse("inverse", clf.num_classes))
    for j in range(len(x)):
        if result.first_flip_step[j] > 0:  # alpha 1: at most 1 level per step
            assert 0 < result.first_flip_linf[j] <= result.first_flip_step[j] + 1e-4
        else:
            assert np.isinf(result.first_flip_linf[j])


def test_ranks_and_spearman_by_hand() -> None:
    np.testing.assert_array_equal(ranks(np.array([10, 20, 20, 5, np.inf])), [2, 3.5, 3.5, 1, 5])
    assert spearman(np.array([1, 2, 3, 4.0]), np.array([2, 4, 6, 100.0])) == pytest.approx(1.0)
    assert spearman(np.array([1, 2, 3, 4.0]), np.array([4, 3, 2, 1.0])) == pytest.approx(-1.0)
    # x = 1..5, y = 2, 1, 4, 3, 5: d = -1, 1, -1, 1, 0, rho = 1 - 6 * 4 / (5 * 24) = 0.8
    assert spearman(np.arange(1, 6.0), np.array([2, 1, 4, 3, 5.0])) == pytest.approx(0.8)


def test_fragility_rows_deciles_and_correlation() -> None:
    rng = np.random.default_rng(0)
    conf = rng.uniform(0, 1, 200)
    rows = [{"status": "ok", "method": "fast", "target": "inverse", "eps": "8",
             "clean_top1_probability": f"{c:.6f}", "tier": "high" if c >= .3 else "low",
             "eps_to_flip": "inf" if c > 0.9 else f"{1 + round(10 * c)}",
             "top1_error_clean": "1" if 1 + round(10 * c) <= 8 else "0"} for c in conf]
    bins, corr = fragility_rows(rows)
    deciles = [b for b in bins if b["group"] == "decile"]
    assert [b["images"] for b in deciles] == [20] * 10
    assert float(deciles[0]["flip_rate"]) == 1.0 and float(deciles[-1]["flip_rate"]) == 0.0
    assert deciles[-1]["median_eps_to_flip"] == ">64"
    assert float(corr[0]["spearman"]) > 0.95
    assert float(corr[0]["spearman_lo"]) <= float(corr[0]["spearman"]) <= float(corr[0]["spearman_hi"])


def test_quantile_thresholds_cut_equal_thirds() -> None:
    values = list(np.linspace(0.05, 0.95, 300))
    cut = quantile_thresholds(values)
    tiers = [cut.tier_of(v).value for v in values]
    assert tiers.count("high") == tiers.count("medium") == tiers.count("low") == 100
    with pytest.raises(ValueError, match="distinct confidences"):
        quantile_thresholds([0.5] * 9)


def test_the_fragility_figure_draws_an_eps_where_no_median_flipped(tmp_path) -> None:
    """A small eps at which most images of every decile resist: every median is '>eps'."""
    from advgui.core.analysis.plots import plot_fragility  # noqa: PLC0415

    bins = [{"method": "iterative", "target": "inverse", "eps": "1", "group": "decile",
             "bin": str(d), "flip_rate": "0.1", "flip_rate_lo": "0.05", "flip_rate_hi": "0.2",
             "median_eps_to_flip": ">1"} for d in range(1, 11)]
    plot_fragility(bins, [], tmp_path / "fragility.png", "resistant")
    assert (tmp_path / "fragility.png").stat().st_size > 1000


@pytest.mark.parametrize("target", ["inverse", "least-likely"])
def test_the_exact_search_is_every_level_and_the_float_measure_flips(clf, target) -> None:
    """Issue 26: eps_to_flip is the brute force over every level 1..64 (not a grid), and the
    scan of all levels agrees; the float measure is a real eps at which the float step flips,
    and 1/64 level less does not (within its first flipping level)."""
    from advgui.core.study.fragility_search import fast_flips  # noqa: PLC0415

    x = images(12, seed=4)
    t = Target.parse(target, clf.num_classes)
    found = fast_flips(clf, x, t)
    np.testing.assert_array_equal(found.eps_to_flip,
                                  fast_eps_to_flip(clf, x, t, grid=tuple(range(1, 65))))
    every = fast_flips(clf, x, t, scan="all")
    np.testing.assert_array_equal(every.eps_to_flip, found.eps_to_flip)
    assert every.forward_images > found.forward_images
    pre, top1 = clf.preprocessing, clf.probabilities(x).argmax(1)
    sign = np.sign(clf.gradient(x, *t.resolve(clf.probabilities(x), None)).gradient)
    lo, hi = pre.bounds()
    for j in np.flatnonzero(np.isfinite(found.eps_to_flip_float)):
        e = found.eps_to_flip_float[j]
        step = [np.clip(x[j:j + 1] + pre.pixel_step(v) * sign[j:j + 1], lo, hi)
                for v in (e, e - 1 / 64)]
        flips = clf.probabilities(np.concatenate(step)).argmax(1) != top1[j]
        assert flips[0] and (not flips[1] or e - 1 / 64 <= np.floor(e - 1e-9))


def _tied_rows(method: str, odd_eps: str, n: int = 9) -> list[dict]:
    """n images, every one flipped at level 1 but the most confident (at odd_eps)."""
    return [{"status": "ok", "method": method, "target": "inverse", "eps": "8",
             "clean_top1_probability": f"{(i + 1) / (n + 1):.4f}", "tier": "high",
             "eps_to_flip": odd_eps if i == n - 1 else "1", "top1_error_clean": "1"}
            for i in range(n)]


def test_rho_of_one_untied_image_is_its_rank_alone_and_the_text_says_so() -> None:
    """The square study's fast and iterative rows: 36 of 37 photos flip at level 1 and the most
    confident one at 29 (fast) or 3 (iterative). Whatever the odd value, rho is that of the
    top rank against the rest, sqrt(3 / (n + 1)) (0.2810 at n = 37); a resample without the odd
    photo has no rho and is left out, and a resample with it ties some confidences, which only
    raises rho: the interval's lower end sits at (or above) the estimate."""
    n = 9
    _, fast = fragility_rows(_tied_rows("fast", "29", n))
    _, stepped = fragility_rows(_tied_rows("iterative", "3", n))
    for corr in (fast[0], stepped[0]):
        assert float(corr["spearman"]) == pytest.approx(np.sqrt(3 / (n + 1)), abs=1e-4)
        assert float(corr["spearman_lo"]) >= float(corr["spearman"]) - 1e-4
        assert (corr["eps_to_flip_distinct"], corr["eps_to_flip_modal"]) == (2, n - 1)
        # (1 - 1/n)^n of the resamples miss the odd photo: about 35 % of 2000
        assert 0.25 * 2000 < corr["bootstrap_left_out"] < 0.45 * 2000
    assert fast[0]["spearman_lo"] == stepped[0]["spearman_lo"]
    text = format_fragility(fast)
    assert "eps-to-flip takes 2 values, 8 of 9 images tie: rho rests on the other 1" in text
    assert f"{fast[0]['bootstrap_left_out']} of 2000 resamples drew one value only" in text


def test_untied_eps_to_flip_adds_no_note() -> None:
    rows = _tied_rows("fast", "29", 30)
    for i, r in enumerate(rows):
        r["eps_to_flip"] = str(1 + i % 12)
    _, corr = fragility_rows(rows)
    assert corr[0]["bootstrap_left_out"] == 0 and "rests on" not in format_fragility(corr)
