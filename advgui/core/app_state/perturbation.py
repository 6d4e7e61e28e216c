"""What the inspection view shows of a perturbation: amplified image and level histogram."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PerturbationView:
    amplified: np.ndarray  # uint8 HxWx3, mid-grey = no change
    factor: float  # how much the difference was multiplied by
    levels: np.ndarray  # histogram bin centres in pixel levels
    counts: np.ndarray  # pixel-channel counts per level
    linf: int


def perturbation_view(clean: np.ndarray, adversarial: np.ndarray) -> PerturbationView:
    diff = adversarial.astype(np.int16) - clean.astype(np.int16)
    linf = int(np.abs(diff).max())
    factor = 127.0 / linf if linf else 1.0
    amplified = np.clip(128 + diff * factor, 0, 255).astype(np.uint8)
    levels = np.arange(-linf, linf + 1) if linf else np.array([0])
    counts = np.bincount((diff.ravel() + linf), minlength=len(levels))[: len(levels)]
    return PerturbationView(amplified, factor, levels, counts, linf)
