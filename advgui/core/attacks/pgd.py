"""Projected gradient descent (Madry, Makelov, Schmidt, Tsipras & Vladu 2018, arXiv:1706.06083).

The iterative gradient sign method from a **uniform random start inside the eps-ball**:
x_0 = clip(x + U(-eps, eps)), then x_{k+1} = clip_{x, eps}(x_k + alpha * sign(grad)), projected
onto the L-infinity ball and the valid pixel range after every step. The start is drawn from
``seed`` (the study's seed) and the image's key (its file, a run argument: ``Attack.run(...,
keys=...)``), one independent stream per image, so a study is reproducible and an image's start
does not depend on which batch it is in. Defaults: eps = 8, alpha = 2 levels and 10 steps (Madry
et al.'s CIFAR-10 attack: eps 8, step 2, 7 steps in training and 20 in evaluation); eps and alpha
in pixel levels 0-255.
"""

from __future__ import annotations

from typing import ClassVar, Sequence

import numpy as np

from advgui.core.attacks.base import AttackRun, clip_to
from advgui.core.attacks.iterative import IterativeGradientSign
from advgui.core.attacks.params import check_alpha, check_eps, check_steps

PGD_ALPHA = 2.0
PGD_STEPS = 10


class ProjectedGradientDescent(IterativeGradientSign):
    name: ClassVar[str] = "pgd"
    uses_random_start: ClassVar[bool] = True

    def __init__(self, *, eps: float = 8.0, alpha: float | None = None,
                 steps: int | None = None, seed: int = 0) -> None:
        self.eps = check_eps(eps)
        self.alpha = check_alpha(PGD_ALPHA if alpha is None else alpha)
        self.steps = check_steps(PGD_STEPS if steps is None else steps)
        self.seed = int(seed)

    def starts(self, shape: tuple[int, ...], keys: Sequence[str]) -> np.ndarray:
        """[len(keys), *shape] uniform noise in [-1, 1], one stream per image, seeded by the
        attack's seed and the image's key."""
        out = np.empty((len(keys), *shape), np.float32)
        for i, key in enumerate(keys):
            stream = np.random.default_rng([self.seed, *key.encode("utf-8")])
            out[i] = stream.uniform(-1.0, 1.0, shape)
        return out

    def _start(self, run: AttackRun) -> np.ndarray:
        noise = self.starts(run.x.shape[1:], run.keys) * run.ball
        return clip_to(run.x + noise, run.lo, run.hi).astype(np.float32)
