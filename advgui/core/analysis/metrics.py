"""Accuracy, calibration and separability of a classifier's confidences."""

from __future__ import annotations

import numpy as np

from advgui.core.tiers import Tier, TierThresholds


def topk_correct(probs: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    top = np.argsort(-probs, axis=1)[:, :k]
    return (top == labels[:, None]).any(axis=1)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    conf = probs.max(axis=1)
    right = probs.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs(right[sel].mean() - conf[sel].mean())
    return float(ece)


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    pos, neg = scores[positive], scores[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    # Rank of every score, tied scores sharing the average of their ranks.
    _, inverse, counts = np.unique(np.concatenate([pos, neg]), return_inverse=True,
                                   return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def summarize(probs: np.ndarray, labels: np.ndarray,
              thresholds: TierThresholds = TierThresholds()) -> dict[str, float | int]:
    top1 = topk_correct(probs, labels, 1)
    tiers = [thresholds.tier_of(p) for p in probs.max(axis=1)]
    return {
        "n": int(len(labels)),
        "top1": float(top1.mean()),
        "top5": float(topk_correct(probs, labels, 5).mean()),
        "ece": expected_calibration_error(probs, labels),
        "auc_top1_confidence": auc(probs.max(axis=1), top1),
        **{f"tier_{t.value}": int(sum(x is t for x in tiers)) for t in Tier},
    }
