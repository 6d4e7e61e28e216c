"""Random sign noise: the control every error rate is read against.

x' = clip(x + eps * s), s a random +-1 per pixel and channel: the fast attack's step with the
gradient's sign replaced by a coin. It uses no gradient and ignores its target (the target is
still resolved and recorded, so its rows read like every other method's). Kurakin, Goodfellow &
Bengio (2016, arXiv:1607.02533) and Papernot et al. (2016) report such a baseline beside their
attacks: an error rate means something only against what noise of the same L-infinity size does.
The signs are drawn from ``seed`` (the study's seed) and the image's key (its file), one stream
per image exactly as PGD draws its start, so an image's noise does not depend on its batch.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, Generator, Sequence

import numpy as np

from advgui.core.attacks.base import (Attack, AttackResult, AttackRun, StepRecord, clip_to, finish,
                                      linf_levels)
from advgui.core.attacks.params import check_eps


class RandomSignNoise(Attack):
    name: ClassVar[str] = "noise"
    is_iterative: ClassVar[bool] = False
    uses_random_start: ClassVar[bool] = True  # the whole perturbation is drawn from the key
    uses_gradient: ClassVar[bool] = False  # a coin per pixel: runs on any model that classifies

    def __init__(self, *, eps: float = 8.0, seed: int = 0) -> None:
        self.eps = check_eps(eps)
        self.alpha = None  # one step of size eps
        self.steps = 1
        self.seed = int(seed)

    def signs(self, shape: tuple[int, ...], keys: Sequence[str]) -> np.ndarray:
        """[len(keys), *shape] of -1 and +1, one stream per image, seeded by the attack's seed
        and the image's key (the stream PGD's start uses for the same key and seed)."""
        out = np.empty((len(keys), *shape), np.float32)
        for i, key in enumerate(keys):
            stream = np.random.default_rng([self.seed, *key.encode("utf-8")])
            out[i] = np.where(stream.random(shape) < 0.5, -1.0, 1.0)
        return out

    def _perturb(self, run: AttackRun) -> Generator[StepRecord, None, AttackResult]:
        classifier, x, clean = run.classifier, run.x, run.clean
        adv = clip_to(x + run.ball * self.signs(x.shape[1:], run.keys),
                      run.valid_lo, run.valid_hi).astype(np.float32)
        result = finish(classifier, clean, adv, run.target, run.direction, 1,
                        np.full(len(x), -1), [""] * len(x))
        flipped = result.adversarial_probabilities.argmax(1) != clean.argmax(1)
        result.first_flip_step[flipped] = 1
        linf = linf_levels(classifier, adv, x)
        result = replace(result, first_flip_linf=np.where(flipped, linf, np.inf))
        rows = np.arange(len(x))
        loss = -np.log(np.maximum(result.adversarial_probabilities[rows, run.target], 1e-30))
        yield StepRecord(1, 1, result.adversarial_probabilities, loss.astype(np.float32), adv)
        return result

