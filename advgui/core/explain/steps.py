"""The explanation of an attack's recorded steps, as the window asks for it (Qt-free: the window
runs it as a job on its thread pool)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from advgui.core.autodiff import UnsupportedModel
from advgui.core.explain.explainer import ExplainFrame, Explainer
from advgui.core.explain.maps import Divergence


@dataclass(frozen=True)
class StepsAsked:
    """What to compute for one attack: its clean 8-bit crop, the steps whose divergence is not
    known yet (position, 8-bit image), and the position whose maps are shown (None: none)."""

    key: object  # the attack record it is about: answers about another one are dropped
    clean: np.ndarray  # [H, W, 3] uint8
    divergence_of: tuple[tuple[int, np.ndarray], ...]
    maps_at: tuple[int, np.ndarray] | None


@dataclass
class StepsExplained:
    key: object
    divergence: dict[int, Divergence] = field(default_factory=dict)
    frame: tuple[int, ExplainFrame] | None = None
    problem: str = ""  # why there are no maps (a model without gradient rules): the strip stays


def explain_steps(explainer: Explainer, asked: StepsAsked) -> StepsExplained:
    """Divergence of each asked step, then every view of the shown one."""
    pre = explainer.classifier.preprocessing
    clean = pre.to_model(asked.clean[None])[0]
    clean_top1 = int(explainer.classifier.probabilities(clean[None])[0].argmax())
    out = StepsExplained(asked.key)
    for position, pixels in asked.divergence_of:
        out.divergence[position] = explainer.divergence(clean, pre.to_model(pixels[None])[0])
    if asked.maps_at is not None:
        position, pixels = asked.maps_at
        adversarial = pre.to_model(pixels[None])[0]
        try:
            out.frame = (position, explainer.frame(clean, adversarial, clean_top1))
        except UnsupportedModel as exc:  # the divergence needs no gradient: it is still given
            out.problem = f"no maps: {exc}"
            out.divergence[position] = explainer.divergence(clean, adversarial)
        else:
            out.divergence[position] = out.frame[1].divergence
    return out
