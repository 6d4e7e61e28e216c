"""Projected gradient descent (Madry, Makelov, Schmidt, Tsipras & Vladu 2018, arXiv:1706.06083).

The iterative gradient sign method from a **uniform random start inside the eps-ball**:
x_0 = clip(x + U(-eps, eps)), then x_{k+1} = clip_{x, eps}(x_k + alpha * sign(grad)), projected
onto the ball and the valid pixel range after every step. The start is drawn from ``seed`` (the
study's seed), one independent stream per image, so a study is reproducible and an image's start
does not depend on which batch it is in. Defaults: alpha = 2 levels and 10 steps (Madry et al.'s
CIFAR-10 attack: eps 8, step 2, 7 steps in training and 20 in evaluation); eps and alpha in pixel
levels 0-255.
"""

from __future__ import annotations

import numpy as np

from advgui.core.attacks.base import clip_to
from advgui.core.attacks.iterative import IterativeGradientSign
from advgui.core.attacks.params import check_alpha, check_eps, check_steps

PGD_ALPHA = 2.0
PGD_STEPS = 10


class ProjectedGradientDescent(IterativeGradientSign):
    name = "pgd"

    def __init__(self, *, eps: float = 8.0, alpha: float | None = None,
                 steps: int | None = None, seed: int = 0) -> None:
        self.eps = check_eps(eps)
        self.alpha = check_alpha(PGD_ALPHA if alpha is None else alpha)
        self.steps = check_steps(PGD_STEPS if steps is None else steps)
        self.seed = int(seed)
        self.keys: list[str] | None = None  # per-image names for the random streams (files)

    def starts(self, shape: tuple[int, ...], n: int) -> np.ndarray:
        """[N, *shape] uniform noise in [-1, 1], one seeded stream per image (by its key)."""
        keys = self.keys or [str(i) for i in range(n)]
        out = np.empty((n, *shape), np.float32)
        for i, key in enumerate(keys[:n]):
            stream = np.random.default_rng([self.seed, *key.encode("utf-8")])
            out[i] = stream.uniform(-1.0, 1.0, shape)
        return out

    def _start(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, pre) -> np.ndarray:
        noise = self.starts(x.shape[1:], len(x)) * pre.pixel_step(self.eps)
        return clip_to(x + noise, lo, hi).astype(np.float32)
