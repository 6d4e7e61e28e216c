"""Basic iterative gradient sign method (Kurakin, Goodfellow & Bengio 2016, arXiv:1607.02533).

x_{k+1} = clip_{x, eps}(x_k + alpha * sign(direction * d CE(target) / dx_k)), L-infinity, clipped
to the eps-ball around x and to the valid pixel range after every step. ``eps`` and ``alpha`` are in
pixel levels 0-255; defaults alpha = 1 and steps = int(min(eps + 4, 1.25 * eps)) as in the paper.
Yields a StepRecord after every step, so callers can chart, report progress or stop early.
"""

from __future__ import annotations

from typing import Generator

import numpy as np

from advgui.core.attacks.base import (AttackResult, StepRecord, clip_to, finish, gradient_problem,
                                      linf_levels)
from advgui.core.attacks.targets import Target
from advgui.core.model.classifier import Classifier
from advgui.core.attacks.params import check_alpha, check_eps, check_steps


def kurakin_steps(eps: float) -> int:
    return max(1, int(min(eps + 4, 1.25 * eps)))


class IterativeGradientSign:
    """Also the frame of the rest of the family (PGD, momentum): they change only where the
    steps start (``_start``) and which direction each step takes (``_direction``)."""

    name = "iterative"

    def __init__(self, *, eps: float = 8.0, alpha: float | None = None,
                 steps: int | None = None) -> None:
        self.eps = check_eps(eps)
        self.alpha = check_alpha(1.0 if alpha is None else alpha)
        self.steps = check_steps(kurakin_steps(self.eps) if steps is None else steps)

    def run(self, classifier: Classifier, x: np.ndarray, target: Target,
            truth: np.ndarray | None = None, clean: np.ndarray | None = None
            ) -> Generator[StepRecord, None, AttackResult]:
        pre = classifier.preprocessing
        valid_lo, valid_hi = pre.bounds()
        x = np.asarray(x, np.float32)
        ball = pre.pixel_step(self.eps)
        lo, hi = np.maximum(x - ball, valid_lo), np.minimum(x + ball, valid_hi)
        step_size = pre.pixel_step(self.alpha)
        clean = classifier.probabilities(x) if clean is None else clean
        clean_top1 = clean.argmax(axis=1)
        tgt, direction = target.resolve(clean, truth)
        first_flip = np.full(len(x), -1)
        flip_linf = np.full(len(x), np.inf)
        problems = [""] * len(x)
        adv = self._start(x, lo, hi, pre)
        grad = classifier.gradient(adv, tgt, direction)
        for step in range(1, self.steps + 1):
            for i, p in enumerate(gradient_problem(grad.gradient)):
                problems[i] = problems[i] or (f"step {step}: {p}" if p else "")
            adv = clip_to(adv + step_size * self._direction(np.nan_to_num(grad.gradient), step),
                          lo, hi)
            if step < self.steps:
                # The next step's gradient run scores this image too: no extra forward pass.
                grad = classifier.gradient(adv, tgt, direction)
                probs, loss = grad.probabilities, grad.loss
            else:
                probs = classifier.probabilities(adv)
                loss = -np.log(np.maximum(probs[np.arange(len(x)), tgt], 1e-45))
            flipped = (probs.argmax(axis=1) != clean_top1) & (first_flip < 0)
            first_flip[flipped] = step
            if flipped.any():
                flip_linf[flipped] = linf_levels(classifier, adv[flipped], x[flipped])
            yield StepRecord(step, self.steps, probs, loss, adv)
        return finish(classifier, clean, adv, tgt, direction, self.steps, first_flip, problems,
                      adversarial_probabilities=probs, first_flip_linf=flip_linf)

    # -- what the family's members change ----------------------------------------------------
    def _start(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, pre) -> np.ndarray:
        return x.copy()

    def _direction(self, gradient: np.ndarray, step: int) -> np.ndarray:
        return np.sign(gradient)
