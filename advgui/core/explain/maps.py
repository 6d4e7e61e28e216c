"""The explanation views as numbers: what each one is, in its own data.

Every map is a float array [H, W] in 0..1 at the model's input size, with the words a figure or
a caption needs (``ExplainMap.caption``): the view, the layer, the class and the normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

GRADIENT_NORMALISATION = "divided by its 99th percentile, clipped to 0..1"
CAM_NORMALISATION = "ReLU, divided by its maximum, bilinear to the input size"
PERCENTILE = 99.0  # one spike pixel would otherwise leave the rest of the map black


@dataclass(frozen=True)
class ExplainMap:
    """A map over the photo: what it shows and of which class, at which layer."""

    kind: str  # "input gradient" or "Grad-CAM"
    layer: str  # the tensor it is taken at, as the model names it (the image's input name)
    class_index: int
    class_name: str
    normalisation: str
    values: np.ndarray  # [H, W] float32 in 0..1
    scale: float  # the raw value that 1.0 stands for (before normalisation)

    def caption(self) -> str:
        return f"{self.kind} of '{self.class_name}' at {self.layer} ({self.normalisation})"


def gradient_magnitude(gradient: np.ndarray) -> tuple[np.ndarray, float]:
    """|d score / d x| summed over the colour channels of one [C, H, W] gradient, normalised.

    Returns the map in 0..1 and the raw value that 1.0 stands for (the 99th percentile).
    """
    magnitude = np.abs(gradient).sum(axis=0)
    scale = float(np.percentile(magnitude, PERCENTILE))
    if scale <= 0:
        return np.zeros_like(magnitude, np.float32), 0.0
    return np.clip(magnitude / scale, 0, 1).astype(np.float32), scale


def grad_cam(activation: np.ndarray, gradient: np.ndarray,
             size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Grad-CAM (Selvaraju et al. 2017) of one [K, h, w] feature map and its score gradient.

    Channel weights are the spatial mean of d score / d A_k; the map is ReLU(sum_k w_k A_k),
    divided by its maximum and resized bilinearly to ``size`` (H, W). Returns the map and that
    maximum (0 where no location speaks for the class: the map is then all zeros).
    """
    weights = gradient.mean(axis=(1, 2))
    cam = np.maximum(np.tensordot(weights, activation, axes=1), 0).astype(np.float32)
    peak = float(cam.max())
    if peak > 0:
        cam /= peak
    resized = Image.fromarray(cam, mode="F").resize((size[1], size[0]), Image.BILINEAR)
    return np.clip(np.asarray(resized, np.float32), 0, 1), peak


@dataclass(frozen=True)
class Divergence:
    """Per block, how far the adversarial's activations are from the clean image's."""

    blocks: tuple[str, ...]  # tensor names, input to output
    relative_l2: np.ndarray  # [B] ||a_adv - a_clean|| / ||a_clean||
    cosine: np.ndarray  # [B] <a_adv, a_clean> / (||a_adv|| ||a_clean||)


def divergence(blocks: tuple[str, ...], clean: list[np.ndarray],
               adversarial: list[np.ndarray]) -> Divergence:
    """Relative L2 distance and cosine similarity of each block's flattened activation.

    Float32 dot products (BLAS): InceptionV3's 6.5 M activations in about 0.05 s instead of
    0.3-0.6 s in float64; their relative rounding (about 1e-6) is far below what a strip shows.
    """
    rel, cos = [], []
    for a, b in zip(clean, adversarial):
        a32 = np.ascontiguousarray(a, np.float32).ravel()
        b32 = np.ascontiguousarray(b, np.float32).ravel()
        d = b32 - a32
        na, nb = float(np.sqrt(np.dot(a32, a32))), float(np.sqrt(np.dot(b32, b32)))
        rel.append(float(np.sqrt(np.dot(d, d))) / na if na > 0 else np.nan)
        cos.append(min(1.0, float(np.dot(a32, b32)) / (na * nb)) if na > 0 and nb > 0
                   else np.nan)
    return Divergence(blocks, np.asarray(rel), np.asarray(cos))
