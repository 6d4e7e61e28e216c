"""The fast attack's eps-to-flip of each image, searched with the classifier while a study runs
(analysis.fragility reads the column it fills; reading needs no model)."""

from __future__ import annotations

import numpy as np

from advgui.core.analysis.fragility import FAST_GRID
from advgui.core.attacks import Target
from advgui.core.model.classifier import Classifier


def fast_eps_to_flip(classifier: Classifier, x: np.ndarray, target: Target,
                     truth: np.ndarray | None = None, grid: tuple[float, ...] = FAST_GRID,
                     clean: np.ndarray | None = None) -> np.ndarray:
    """[N] smallest eps in grid whose rounded fast-gradient-sign image changes the top-1 (inf when
    none does). One gradient run (the fast attack's own sign), then one forward run per grid
    value for the images still unflipped. A larger step does not always flip what a smaller one
    did (Kurakin et al. saw the fast method weaken at large eps), so this is the first flip."""
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
