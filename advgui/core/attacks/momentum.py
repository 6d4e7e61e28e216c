"""Momentum iterative gradient sign method, MI-FGSM (Dong, Liao, Pang, Su, Zhu, Hu & Li 2018,
arXiv:1710.06081; the winner of the NIPS 2017 adversarial competition, whose dev set is our
nips17-dev).

g_{k+1} = mu * g_k + grad_k / ||grad_k||_1 (per image), x_{k+1} = clip_{x, eps}(x_k + alpha *
sign(g_{k+1})). Defaults from the paper: decay mu = 1.0, 10 steps, alpha = eps / steps (so the
steps can reach the ball's edge); eps and alpha in pixel levels 0-255.
"""

from __future__ import annotations

import numpy as np

from advgui.core.attacks.iterative import IterativeGradientSign
from advgui.core.attacks.params import check_alpha, check_eps, check_steps

MOMENTUM_DECAY = 1.0
MOMENTUM_STEPS = 10


class MomentumGradientSign(IterativeGradientSign):
    name = "momentum"

    def __init__(self, *, eps: float = 8.0, alpha: float | None = None,
                 steps: int | None = None, decay: float = MOMENTUM_DECAY) -> None:
        self.eps = check_eps(eps)
        self.steps = check_steps(MOMENTUM_STEPS if steps is None else steps)
        self.alpha = check_alpha(self.eps / self.steps if alpha is None else alpha)
        self.decay = float(decay)
        self._g: np.ndarray | None = None

    def _start(self, x, lo, hi, pre) -> np.ndarray:
        self._g = np.zeros_like(x, dtype=np.float64)
        return x.copy()

    def _direction(self, gradient: np.ndarray, step: int) -> np.ndarray:
        flat = np.abs(gradient).reshape(len(gradient), -1).sum(axis=1)
        norm = np.maximum(flat, 1e-30).reshape((-1,) + (1,) * (gradient.ndim - 1))
        self._g = self.decay * self._g + gradient / norm
        return np.sign(self._g)
