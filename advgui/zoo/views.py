"""Deterministic augmented views of the distillation images.

A view is fully described by (image index, view index, seed): crop box, flip and colour jitter are
drawn from a generator seeded by that triple, so any view can be rebuilt bit for bit later, and the
teacher and the student see exactly the same pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance


@dataclass(frozen=True)
class ViewSpec:
    box: tuple[int, int, int, int]
    flip: bool
    brightness: float
    contrast: float
    saturation: float


def view_spec(size: tuple[int, int], image_index: int, view_index: int, seed: int) -> ViewSpec:
    """View 0 is the plain centre crop; the others are random resized crops with jitter."""
    w, h = size
    if view_index == 0:
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        return ViewSpec((left, top, left + side, top + side), False, 1.0, 1.0, 1.0)
    rng = np.random.default_rng([seed, image_index, view_index])
    area = w * h
    for _ in range(10):
        target = area * rng.uniform(0.2, 1.0)
        ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        cw, ch = int(round(math.sqrt(target * ratio))), int(round(math.sqrt(target / ratio)))
        if 0 < cw <= w and 0 < ch <= h:
            left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
            box = (left, top, left + cw, top + ch)
            break
    else:
        side = min(w, h)
        box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
    jitter = rng.uniform(0.7, 1.3, size=3)
    return ViewSpec(box, bool(rng.random() < 0.5), *map(float, jitter))


def render_view(image: Image.Image, spec: ViewSpec, size: int, resample: str) -> np.ndarray:
    """Crop, resize to size x size, flip and jitter: uint8 HxWx3."""
    mode = Image.Resampling.BICUBIC if resample == "bicubic" else Image.Resampling.BILINEAR
    view = image.convert("RGB").crop(spec.box).resize((size, size), mode)
    if spec.flip:
        view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if spec.brightness != 1.0:
        view = ImageEnhance.Brightness(view).enhance(spec.brightness)
    if spec.contrast != 1.0:
        view = ImageEnhance.Contrast(view).enhance(spec.contrast)
    if spec.saturation != 1.0:
        view = ImageEnhance.Color(view).enhance(spec.saturation)
    return np.asarray(view, dtype=np.uint8)


def list_images(folder: Path) -> list[Path]:
    exts = {".jpg", ".jpeg", ".png"}
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in exts)
