"""Fast gradient sign method (Goodfellow, Shlens & Szegedy 2014, arXiv:1412.6572).

x' = clip(x + eps * sign(direction * d CE(target) / dx)), L-infinity, one step. ``eps`` is in
pixel levels 0-255 (default 8), converted once to model units by the classifier's preprocessing.
"""

from __future__ import annotations

from typing import Generator

import numpy as np

from advgui.core.attacks.base import AttackResult, StepRecord, clip_to, finish, gradient_problem
from advgui.core.attacks.targets import Target
from advgui.core.model.classifier import Classifier
from advgui.core.attacks.params import check_eps


class FastGradientSign:
    name = "fast"

    def __init__(self, *, eps: float = 8.0) -> None:
        self.eps = check_eps(eps)

    @property
    def steps(self) -> int:
        return 1

    def run(self, classifier: Classifier, x: np.ndarray, target: Target,
            truth: np.ndarray | None = None, clean: np.ndarray | None = None
            ) -> Generator[StepRecord, None, AttackResult]:
        """Yield the one step, return the result. ``clean`` saves a forward run if known."""
        pre = classifier.preprocessing
        lo, hi = pre.bounds()
        x = np.asarray(x, np.float32)
        clean = classifier.probabilities(x) if clean is None else clean
        tgt, direction = target.resolve(clean, truth)
        grad = classifier.gradient(x, tgt, direction)
        problems = gradient_problem(grad.gradient)
        adv = clip_to(x + pre.pixel_step(self.eps) * np.sign(grad.gradient), lo, hi)
        result = finish(classifier, clean, adv, tgt, direction, 1, np.full(len(x), -1), problems)
        flipped = result.adversarial_probabilities.argmax(1) != clean.argmax(1)
        result.first_flip_step[flipped] = 1
        yield StepRecord(1, 1, result.adversarial_probabilities, grad.loss, adv)
        return result
