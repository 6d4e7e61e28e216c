"""What every attack yields per step and returns at the end, with the 8-bit honest re-scoring."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advgui.core.model.classifier import Classifier


@dataclass(frozen=True)
class StepRecord:
    """One step of an attack on a batch: probabilities and loss of the image *after* the step."""

    step: int
    total_steps: int
    probabilities: np.ndarray  # [N, K]
    loss: np.ndarray  # [N] cross-entropy of the target at the current image
    image: np.ndarray  # [N, 3, H, W] model units, current float adversarial


@dataclass(frozen=True)
class AttackResult:
    clean_probabilities: np.ndarray  # [N, K]
    target: np.ndarray  # [N]
    direction: np.ndarray  # [N]
    adversarial: np.ndarray  # [N, 3, H, W] float, model units
    adversarial_probabilities: np.ndarray  # [N, K] of the float image
    pixels: np.ndarray  # [N, H, W, 3] uint8: the image a user saves
    pixel_probabilities: np.ndarray  # [N, K] of the 8-bit image (what reports use)
    steps_taken: int
    first_flip_step: np.ndarray  # [N], -1 if the top-1 never changed during the steps
    problems: list[str]  # per image: "" or why the result is not trustworthy
    # [N] L-infinity (pixel levels) of the image at the first flipped step; inf if none
    first_flip_linf: np.ndarray | None = None


def finish(classifier: Classifier, clean: np.ndarray, adversarial: np.ndarray,
           target: np.ndarray, direction: np.ndarray, steps: int, first_flip: np.ndarray,
           problems: list[str], adversarial_probabilities: np.ndarray | None = None,
           first_flip_linf: np.ndarray | None = None) -> AttackResult:
    """Score the uint8 rounding of the result (and the float result, unless its scores are
    given), in one batch."""
    pre = classifier.preprocessing
    pixels = pre.to_uint8(adversarial)
    rounded = pre.to_model(pixels)
    if adversarial_probabilities is None:
        probs = classifier.probabilities(np.concatenate([adversarial, rounded]))
        adversarial_probabilities, pixel_probabilities = np.split(probs, 2)
    else:
        pixel_probabilities = classifier.probabilities(rounded)
    return AttackResult(clean, target, direction, adversarial, adversarial_probabilities, pixels,
                        pixel_probabilities, steps, first_flip, problems, first_flip_linf)


def linf_levels(classifier: Classifier, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[N] largest per-pixel difference of two model-unit batches, in pixel levels."""
    pre = classifier.preprocessing
    d = np.abs(pre.to_pixels(a) - pre.to_pixels(b))
    return d.reshape(len(d), -1).max(axis=1)


def gradient_problem(grad: np.ndarray) -> list[str]:
    """Per image, why its gradient cannot drive an attack ("" when fine)."""
    flat = grad.reshape(len(grad), -1)
    out = []
    for row in flat:
        if not np.all(np.isfinite(row)):
            out.append("gradient is NaN or infinite")
        elif not np.any(row):
            out.append("gradient is exactly zero (saturated model)")
        else:
            out.append("")
    return out


def clip_to(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, lo), hi)
