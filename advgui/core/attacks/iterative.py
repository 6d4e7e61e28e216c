"""Basic iterative gradient sign method (Kurakin, Goodfellow & Bengio 2016, arXiv:1607.02533).

x_{k+1} = clip_{x, eps}(x_k + alpha * sign(direction * d CE(target) / dx_k)), L-infinity, clipped
to the eps-ball around x and to the valid pixel range after every step. ``eps`` and ``alpha`` are in
pixel levels 0-255; defaults eps = 8, alpha = 1 and steps = int(min(eps + 4, 1.25 * eps)) as in the
paper. Shapes: x [N, 3, H, W] in model units. Yields a StepRecord after every step, so callers can
chart, report progress or stop early.
"""

from __future__ import annotations

from typing import Callable, ClassVar, Generator

import numpy as np

from advgui.core.attacks.base import (Attack, AttackResult, AttackRun, StepRecord, clip_to, finish,
                                      gradient_problem, linf_levels)
from advgui.core.attacks.params import check_alpha, check_eps, check_steps

# A run's rule for the direction of step k from the gradient at x_k ([N, 3, H, W] -> same shape).
StepDirection = Callable[[np.ndarray, int], np.ndarray]


def kurakin_steps(eps: float) -> int:
    return max(1, int(min(eps + 4, 1.25 * eps)))


def sign_direction(gradient: np.ndarray, step: int) -> np.ndarray:
    return np.sign(gradient)


class IterativeGradientSign(Attack):
    """Also the frame of the rest of the family (PGD, momentum): they change only where a run's
    steps start (``_start``) and which direction each of its steps takes (``_step_direction``);
    whatever those keep between steps lives in the run, not on the attack."""

    name: ClassVar[str] = "iterative"
    is_iterative: ClassVar[bool] = True

    def __init__(self, *, eps: float = 8.0, alpha: float | None = None,
                 steps: int | None = None) -> None:
        self.eps = check_eps(eps)
        self.alpha = check_alpha(1.0 if alpha is None else alpha)
        self.steps = check_steps(kurakin_steps(self.eps) if steps is None else steps)

    def _perturb(self, run: AttackRun) -> Generator[StepRecord, None, AttackResult]:
        classifier, x, clean = run.classifier, run.x, run.clean
        tgt, direction = run.target, run.direction
        step_size = run.preprocessing.pixel_step(self.alpha)
        clean_top1 = clean.argmax(axis=1)
        first_flip = np.full(len(x), -1)
        flip_linf = np.full(len(x), np.inf)
        problems = [""] * len(x)
        step_direction = self._step_direction(run)
        adv = self._start(run)
        grad = classifier.gradient(adv, tgt, direction)
        for step in range(1, self.steps + 1):
            for i, p in enumerate(gradient_problem(grad.gradient)):
                problems[i] = problems[i] or (f"step {step}: {p}" if p else "")
            adv = clip_to(adv + step_size * step_direction(np.nan_to_num(grad.gradient), step),
                          run.lo, run.hi)
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
    def _start(self, run: AttackRun) -> np.ndarray:
        """Where the run's steps start (inside ``run.lo``-``run.hi``): the clean image."""
        return run.x.copy()

    def _step_direction(self, run: AttackRun) -> StepDirection:
        """A fresh direction rule for one run (a closure holds whatever it keeps between
        steps): the sign of the gradient."""
        return sign_direction
