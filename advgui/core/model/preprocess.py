"""How pixels become model input, read from (and written to) an ONNX model's metadata.

Everything that converts between 0-255 pixel levels and model units lives here, so that eps,
alpha and the valid range are converted exactly once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from advgui.core.model.images import ImageError

# The largest image advgui scales before cropping: 299 x 53,500 at InceptionV3's size, so memory
# per image stays near 50 MB. Only extreme aspect ratios reach it (a 1 x 120,000 strip would
# scale to 299 x 35.9 million pixels, 100 GB); ordinary photos scale to well under 1 MP.
MAX_SCALED_PIXELS = 16_000_000
MAX_INPUT_SIZE = 1024

_RESAMPLE = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}

KEY_PREFIX = "advgui."


@dataclass(frozen=True)
class Preprocessing:
    """Geometry and value mapping of a classifier's input.

    model_value = (pixel - mean) / std, pixel in 0-255, per RGB channel; layout NCHW.
    The image is resized so its shorter side is size / crop_fraction, then centre-cropped;
    ``stretch`` instead resizes it to size x size whatever its aspect ratio (Hugging Face's
    ``size: {height, width}`` without a crop, as ViT's processor does).
    """

    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    crop_fraction: float = 1.0
    resample: str = "bilinear"
    channel_order: str = "RGB"
    stretch: bool = False

    def __post_init__(self) -> None:
        if not 8 <= self.size <= MAX_INPUT_SIZE:
            raise ValueError(f"input size {self.size} px is outside 8-{MAX_INPUT_SIZE} px")
        values = (*self.mean, *self.std, self.crop_fraction)
        if not all(math.isfinite(v) for v in values):
            raise ValueError("mean, std and crop fraction must be finite numbers")
        if not 0.1 <= self.crop_fraction <= 1.0:
            raise ValueError(f"crop fraction {self.crop_fraction} outside 0.1-1.0")
        if any(s <= 0 for s in self.std):
            raise ValueError("std must be positive")
        if self.resample not in _RESAMPLE:
            raise ValueError(f"resample must be one of {sorted(_RESAMPLE)}")
        if self.channel_order not in ("RGB", "BGR"):
            raise ValueError("channel order must be RGB or BGR")

    # -- geometry -----------------------------------------------------------------------------
    def crop(self, image: Image.Image) -> Image.Image:
        """Resize the shorter side and centre-crop to a size x size RGB image."""
        image = image.convert("RGB")
        if self.stretch:
            return image.resize((self.size, self.size), _RESAMPLE[self.resample])
        short = self.size / self.crop_fraction
        w, h = image.size
        scale = short / min(w, h)
        nw, nh = max(self.size, round(w * scale)), max(self.size, round(h * scale))
        if nw * nh > MAX_SCALED_PIXELS:
            raise ImageError(f"image is {w}x{h} (aspect ratio {max(w, h) / min(w, h):,.0f}:1); "
                             f"scaled to {self.size} px on its short side it would be "
                             f"{nw:,}x{nh:,}, over the {MAX_SCALED_PIXELS // 1_000_000} MP limit")
        if (nw, nh) != (w, h):
            image = image.resize((nw, nh), _RESAMPLE[self.resample])
        left, top = (nw - self.size) // 2, (nh - self.size) // 2
        return image.crop((left, top, left + self.size, top + self.size))

    # -- values -------------------------------------------------------------------------------
    def _channel(self, values: tuple[float, float, float]) -> np.ndarray:
        v = np.asarray(values, dtype=np.float32)
        if self.channel_order == "BGR":
            v = v[::-1]
        return v.reshape(3, 1, 1)

    def to_model(self, pixels: np.ndarray) -> np.ndarray:
        """HxWx3 (or NxHxWx3) RGB pixels 0-255 -> (N)x3xHxW float32 model input."""
        x = np.asarray(pixels, dtype=np.float32)
        x = np.moveaxis(x, -1, -3)
        if self.channel_order == "BGR":
            x = x[..., ::-1, :, :]
        return ((x - self._channel(self.mean)) / self._channel(self.std)).astype(np.float32)

    def to_pixels(self, x: np.ndarray) -> np.ndarray:
        """Inverse of to_model, float pixels (not rounded)."""
        p = np.asarray(x, dtype=np.float32) * self._channel(self.std) + self._channel(self.mean)
        if self.channel_order == "BGR":
            p = p[..., ::-1, :, :]
        return np.moveaxis(p, -3, -1)

    def to_uint8(self, x: np.ndarray) -> np.ndarray:
        """Model input -> the 8-bit image a user can save: rounded and clipped."""
        return np.clip(np.rint(self.to_pixels(x)), 0, 255).astype(np.uint8)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel (low, high) of the valid range in model units, shaped 3x1x1."""
        return self.to_model_scalar(0.0), self.to_model_scalar(255.0)

    def to_model_scalar(self, pixel: float) -> np.ndarray:
        return (np.float32(pixel) - self._channel(self.mean)) / self._channel(self.std)

    def pixel_step(self, levels: float) -> np.ndarray:
        """A perturbation size in 0-255 levels -> per-channel model units, shaped 3x1x1."""
        return (np.float32(levels) / self._channel(self.std)).astype(np.float32)

    def load(self, image: Image.Image) -> np.ndarray:
        """PIL image -> uint8 HxWx3 at the model's input geometry."""
        return np.asarray(self.crop(image), dtype=np.uint8)

    # -- metadata -----------------------------------------------------------------------------
    def to_metadata(self) -> dict[str, str]:
        return {
            KEY_PREFIX + "input_size": str(self.size),
            KEY_PREFIX + "mean": ",".join(f"{v:g}" for v in self.mean),
            KEY_PREFIX + "std": ",".join(f"{v:g}" for v in self.std),
            KEY_PREFIX + "crop_fraction": f"{self.crop_fraction:g}",
            KEY_PREFIX + "resample": self.resample,
            KEY_PREFIX + "channel_order": self.channel_order,
            KEY_PREFIX + "layout": "NCHW",
            KEY_PREFIX + "value_range": "pixel 0-255; model = (pixel - mean) / std",
        } | ({KEY_PREFIX + "resize": "stretch"} if self.stretch else {})

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> "Preprocessing | None":
        if KEY_PREFIX + "input_size" not in meta:
            return None

        def triple(key: str) -> tuple[float, float, float]:
            values = [float(v) for v in meta[KEY_PREFIX + key].split(",")]
            if len(values) == 1:
                values *= 3
            if len(values) != 3:
                raise ValueError(f"metadata {key} must have 1 or 3 values")
            return tuple(values)  # type: ignore[return-value]

        return cls(
            size=int(meta[KEY_PREFIX + "input_size"]),
            mean=triple("mean"),
            std=triple("std"),
            crop_fraction=float(meta.get(KEY_PREFIX + "crop_fraction", "1")),
            resample=meta.get(KEY_PREFIX + "resample", "bilinear"),
            channel_order=meta.get(KEY_PREFIX + "channel_order", "RGB"),
            stretch=meta.get(KEY_PREFIX + "resize", "shorter") == "stretch",
        )
