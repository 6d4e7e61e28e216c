"""The fast attack's eps-to-flip of each image, searched with the classifier while a study runs
(analysis.fragility reads the columns it fills; reading needs no model).

Three numbers per image and target, all from the one gradient sign of the clean image (the fast
attack's own step, x + eps * sign(gradient), clipped to the valid range):

* ``eps_to_flip``: the smallest whole 8-bit level 1..64 whose one-step image, rounded to 8 bits
  (the PNG a study saves), changes the top-1. Every level from 1 up is tried in turn, stopping
  at the first flip: exact, not rounded up to a grid (the release before searched 1-8, 10, 12,
  14, 16, 20, 24, 32, 48 and 64 and recorded the grid level). inf when no level up to 64 flips.
* ``eps_to_unflip`` (with ``scan="all"`` only): the smallest level above ``eps_to_flip`` whose
  image is no longer flipped: flips are not monotone in eps (Kurakin et al. saw the fast method
  weaken at large eps). inf when every level from ``eps_to_flip`` to 64 stays flipped.
* ``eps_to_flip_float``: below one level's resolution: the smallest real eps (levels) at which
  the float (unrounded) one-step image changes the top-1, found by scanning the whole levels and
  then bisecting the first flipping level to 1/64 level. inf when none up to 64 flips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advgui.core.attacks import Target
from advgui.core.model.classifier import Classifier

MAX_LEVEL = 64
BISECTIONS = 6  # 2**-6: the float measure to 1/64 level


@dataclass(frozen=True)
class FastFlips:
    eps_to_flip: np.ndarray  # [N] whole levels, inf if none up to MAX_LEVEL
    eps_to_flip_float: np.ndarray  # [N] real levels to 1/64, inf if none up to MAX_LEVEL
    eps_to_unflip: np.ndarray | None  # [N] (scan "all" only) first level above that unflips
    forward_images: int  # images the search ran forward (its cost; one gradient besides)


def fast_flips(classifier: Classifier, x: np.ndarray, target: Target,
               truth: np.ndarray | None = None, clean: np.ndarray | None = None,
               scan: str = "first", levels: int = MAX_LEVEL) -> FastFlips:
    """The search on a batch x [N, 3, H, W] (model units). ``scan`` "first" stops each image at
    its first flipping level (8-bit and float each); "all" runs every level 1..levels in 8 bits
    (64 forward images an image) and also finds where a flip is lost again."""
    pre = classifier.preprocessing
    lo, hi = pre.bounds()
    x = np.asarray(x, np.float32)
    clean = classifier.probabilities(x) if clean is None else clean
    tgt, direction = target.resolve(clean, truth)
    sign = np.sign(classifier.gradient(x, tgt, direction).gradient)
    top1 = clean.argmax(axis=1)
    n = len(x)
    cost = 0

    def step(idx: np.ndarray, eps: np.ndarray | float) -> np.ndarray:
        if np.ndim(eps) == 0:  # a whole level: the very step the fast attack takes at it
            return np.minimum(np.maximum(x[idx] + pre.pixel_step(eps) * sign[idx], lo), hi)
        e = np.asarray(eps, np.float32)[:, None, None, None, None]
        return np.minimum(np.maximum(x[idx] + (pre.pixel_step(1.0) * e)[:, 0] * sign[idx], lo), hi)

    def flips(images: np.ndarray, idx: np.ndarray) -> np.ndarray:
        nonlocal cost
        cost += len(images)
        return classifier.probabilities(images).argmax(axis=1) != top1[idx]

    flip8 = np.full(n, np.inf)
    flipf = np.full(n, np.inf)
    unflip = np.full(n, np.inf) if scan == "all" else None
    pending8 = np.arange(n)  # not flipped in 8 bits yet
    pendingf = np.arange(n)  # not flipped in float yet
    flipped_at = np.zeros(n, bool)  # ("all") flipped at the previous level
    for level in range(1, levels + 1):
        scan8 = np.arange(n) if scan == "all" else pending8
        if not len(scan8) and not len(pendingf):
            break
        # One forward run for both searches at this level: the 8-bit and the float images.
        adv8 = step(scan8, level)
        images = [pre.to_model(pre.to_uint8(adv8)), step(pendingf, level)]
        result = flips(np.concatenate(images), np.concatenate([scan8, pendingf]))
        now8, nowf = result[:len(scan8)], result[len(scan8):]
        new8 = scan8[now8 & np.isinf(flip8[scan8])]
        flip8[new8] = level
        if unflip is not None:
            lost = scan8[~now8 & flipped_at[scan8] & np.isinf(unflip[scan8])]
            unflip[lost] = level
            flipped_at[scan8] = now8
        pending8 = pending8[np.isinf(flip8[pending8])]
        flipf[pendingf[nowf]] = level
        pendingf = pendingf[~nowf]
    # Bisect each float flip within its first flipping level (level - 1, level].
    idx = np.flatnonzero(np.isfinite(flipf))
    if len(idx):
        below, above = flipf[idx] - 1.0, flipf[idx].copy()
        for _ in range(BISECTIONS):
            middle = (below + above) / 2
            now = flips(step(idx, middle), idx)
            above = np.where(now, middle, above)
            below = np.where(now, below, middle)
        flipf[idx] = above
    return FastFlips(flip8, flipf, unflip, cost)


def fast_eps_to_flip(classifier: Classifier, x: np.ndarray, target: Target,
                     truth: np.ndarray | None = None, grid: tuple[float, ...] | None = None,
                     clean: np.ndarray | None = None) -> np.ndarray:
    """[N] smallest whole level whose rounded one-step image changes the top-1 (inf when none up
    to 64): ``fast_flips(...).eps_to_flip``. With ``grid``, the release before's search over
    those levels only (each value above 8 rounded up to the grid): kept to measure against."""
    if grid is None:
        return fast_flips(classifier, x, target, truth, clean).eps_to_flip
    pre = classifier.preprocessing
    lo, hi = pre.bounds()
    x = np.asarray(x, np.float32)
    clean = classifier.probabilities(x) if clean is None else clean
    tgt, direction = target.resolve(clean, truth)
    sign = np.sign(classifier.gradient(x, tgt, direction).gradient)
    top1 = clean.argmax(axis=1)
    out = np.full(len(x), np.inf)
    pending = np.arange(len(x))
    for eps in grid:
        adv = np.minimum(np.maximum(x[pending] + pre.pixel_step(eps) * sign[pending], lo), hi)
        probs = classifier.probabilities(pre.to_model(pre.to_uint8(adv)))
        flipped = probs.argmax(axis=1) != top1[pending]
        out[pending[flipped]] = eps
        pending = pending[~flipped]
        if not len(pending):
            break
    return out
