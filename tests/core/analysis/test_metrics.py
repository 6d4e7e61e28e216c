"""Confidence metrics against their definitions, computed the slow way."""

from __future__ import annotations

import numpy as np

from advgui.core.analysis.metrics import auc, expected_calibration_error


def test_auc_matches_pairwise_definition_with_ties() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 8, size=200).astype(float)  # many ties on purpose
    positive = rng.random(200) < 0.4
    pos, neg = scores[positive], scores[~positive]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert auc(scores, positive) == pairs / (len(pos) * len(neg))
    assert np.isnan(auc(scores, np.zeros(200, bool)))


def test_ece_is_zero_for_a_calibrated_toy_and_large_for_an_overconfident_one() -> None:
    probs = np.array([[0.75, 0.25]] * 4)
    assert expected_calibration_error(probs, np.array([0, 0, 0, 1])) == 0.0
    assert expected_calibration_error(probs, np.array([1, 1, 1, 1])) == 0.75
