"""Fast gradient sign method (Goodfellow, Shlens & Szegedy 2014, arXiv:1412.6572).

x' = clip(x + eps * sign(direction * d CE(target) / dx)), L-infinity, one step of size eps.
``eps`` is in pixel levels 0-255 (default 8), converted once to model units by the classifier's
preprocessing. Shapes: x [N, 3, H, W] in model units; one StepRecord, then the AttackResult.
"""

from __future__ import annotations

from typing import ClassVar, Generator

import numpy as np

from advgui.core.attacks.base import (Attack, AttackResult, AttackRun, StepRecord, clip_to, finish,
                                      gradient_problem)
from advgui.core.attacks.params import check_eps


class FastGradientSign(Attack):
    name: ClassVar[str] = "fast"
    is_iterative: ClassVar[bool] = False

    def __init__(self, *, eps: float = 8.0) -> None:
        self.eps = check_eps(eps)
        self.alpha = None  # one step of size eps
        self.steps = 1

    def _perturb(self, run: AttackRun) -> Generator[StepRecord, None, AttackResult]:
        classifier, x, clean = run.classifier, run.x, run.clean
        grad = classifier.gradient(x, run.target, run.direction)
        problems = gradient_problem(grad.gradient)
        adv = clip_to(x + run.preprocessing.pixel_step(self.eps) * np.sign(grad.gradient),
                      run.valid_lo, run.valid_hi)
        result = finish(classifier, clean, adv, run.target, run.direction, 1,
                        np.full(len(x), -1), problems)
        flipped = result.adversarial_probabilities.argmax(1) != clean.argmax(1)
        result.first_flip_step[flipped] = 1
        yield StepRecord(1, 1, result.adversarial_probabilities, grad.loss, adv)
        return result
