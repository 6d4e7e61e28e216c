"""What the real world does to a saved adversarial (Kurakin et al. 2016): a JPEG re-save, blur,
brightness or contrast, named by its exact parameters ("jpeg:75") so a record keys each one.
Pure PIL and numpy, so a study's definition can be checked without loading a model."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter


# Where each parameter means something (jpeg: whole qualities 1-95, checked apart).
RANGES = {"brightness": (-255, 255), "contrast": (0, 10), "blur": (0, 50)}


@dataclass(frozen=True)
class Transform:
    kind: str  # jpeg, blur, brightness, contrast
    amount: float

    def __str__(self) -> str:
        value = f"{self.amount:+g}" if self.kind == "brightness" else f"{self.amount:g}"
        return f"{self.kind}:{value}"

    @classmethod
    def parse(cls, text: str) -> "Transform":
        """A transformation as typed; refused (the message echoes what was typed) outside the
        ranges where it means something: a brightness shift past 255 levels or a contrast
        factor past 10 leaves a flat image, a blur past 50 pixels no image at all, and
        Pillow saves JPEG at whole qualities only."""
        m = re.fullmatch(r"\s*(jpeg|blur|brightness|contrast)\s*:\s*([+-]?\d+(\.\d+)?)\s*", text)
        if not m:
            raise ValueError(f"--destroy {text!r}: use jpeg:QUALITY (1-95), blur:RADIUS, "
                             "brightness:+LEVELS or contrast:FACTOR, e.g. jpeg:75 blur:1 "
                             "brightness:+30 contrast:0.8")
        kind, amount = m.group(1), float(m.group(2))
        typed = text.strip()
        if kind == "jpeg" and (m.group(3) or not 1 <= amount <= 95):
            raise ValueError(f"--destroy {typed}: JPEG quality must be a whole number 1-95")
        low, high = RANGES.get(kind, (None, None))
        if low is not None and not low <= amount <= high:
            raise ValueError(f"--destroy {typed}: {kind} must be {low:g} to {high:g}"
                             + (" pixel levels" if kind == "brightness" else ""))
        return cls(kind, amount)

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 HxWx3 in, uint8 HxWx3 out (what a camera, a viewer or a re-save would do)."""
        image = Image.fromarray(pixels)
        if self.kind == "jpeg":
            buf = io.BytesIO()
            image.save(buf, format="JPEG", quality=int(self.amount))
            buf.seek(0)
            return np.asarray(Image.open(buf).convert("RGB"))
        if self.kind == "blur":
            return np.asarray(image.filter(ImageFilter.GaussianBlur(self.amount)))
        if self.kind == "brightness":
            return np.clip(pixels.astype(np.int32) + int(round(self.amount)), 0, 255).astype(np.uint8)
        return np.asarray(ImageEnhance.Contrast(image).enhance(self.amount))
