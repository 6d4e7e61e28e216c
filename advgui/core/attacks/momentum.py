"""Momentum iterative gradient sign method, MI-FGSM (Dong, Liao, Pang, Su, Zhu, Hu & Li 2018,
arXiv:1710.06081; the winner of the NIPS 2017 adversarial competition, whose dev set is our
nips17-dev).

g_{k+1} = mu * g_k + grad_k / ||grad_k||_1 (per image), x_{k+1} = clip_{x, eps}(x_k + alpha *
sign(g_{k+1})), L-infinity. Defaults from the paper: eps = 8, decay mu = 1.0, 10 steps,
alpha = eps / steps (so the steps can reach the ball's edge); eps and alpha in pixel levels 0-255.
The accumulated gradient g belongs to one run (a closure of :meth:`_step_direction`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from advgui.core.attacks.base import AttackRun
from advgui.core.attacks.iterative import IterativeGradientSign, StepDirection
from advgui.core.attacks.params import check_alpha, check_eps, check_steps

MOMENTUM_DECAY = 1.0
MOMENTUM_STEPS = 10


class MomentumGradientSign(IterativeGradientSign):
    name: ClassVar[str] = "momentum"

    def __init__(self, *, eps: float = 8.0, alpha: float | None = None,
                 steps: int | None = None, decay: float = MOMENTUM_DECAY) -> None:
        self.eps = check_eps(eps)
        self.steps = check_steps(MOMENTUM_STEPS if steps is None else steps)
        self.alpha = check_alpha(self.eps / self.steps if alpha is None else alpha)
        self.decay = float(decay)

    def _step_direction(self, run: AttackRun) -> StepDirection:
        g = np.zeros_like(run.x, dtype=np.float64)  # this run's accumulated gradient

        def momentum_direction(gradient: np.ndarray, step: int) -> np.ndarray:
            nonlocal g
            flat = np.abs(gradient).reshape(len(gradient), -1).sum(axis=1)
            norm = np.maximum(flat, 1e-30).reshape((-1,) + (1,) * (gradient.ndim - 1))
            g = self.decay * g + gradient / norm
            return np.sign(g)

        return momentum_direction
