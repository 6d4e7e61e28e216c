"""Reading image files the way users have them: odd modes, rotations, broken files, huge ones.

Every failure becomes an ImageError whose message is one readable line.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 120_000_000  # refuse decompression bombs well before they eat the memory
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm"}


class ImageError(ValueError):
    """A file that cannot be used as an image, with a one-line reason."""


def load_rgb(path: Path) -> Image.Image:
    """Open any still image as upright 8-bit RGB (first frame of an animation)."""
    path = Path(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ImageError("a folder, not an image file")
        if not stat.S_ISREG(info.st_mode):  # opening a named pipe would wait for a writer
            raise ImageError("not a regular file (a pipe, device or socket)")
        if info.st_size == 0:
            raise ImageError("empty file (0 bytes)")
        with open(path, "rb") as fh:  # PermissionError here, not deep inside Pillow
            fh.read(1)
        with warnings.catch_warnings():
            # A 108 MP phone photo is a photo: our MAX_PIXELS decides (Pillow warns at 89 MP
            # and still refuses, itself, above 179 MP).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise ImageError(too_large(w * h, f"{w} × {h}"))
                im.seek(0)
                im = ImageOps.exif_transpose(im)
                if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                    scale = 257.0 if im.mode.startswith("I;16") or np.asarray(im).max() > 255 else 1.0
                    gray = np.clip(np.asarray(im, dtype=np.float64) / scale, 0, 255).astype(np.uint8)
                    return Image.fromarray(gray).convert("RGB")
                if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                    rgba = im.convert("RGBA")
                    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                    return Image.alpha_composite(white, rgba).convert("RGB")
                return im.convert("RGB")
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard (above 179 MP) speaks of a "decompression bomb DOS attack": say
        # what it means for a photo, as our limit below it does.
        raise ImageError(too_large(_pixels_in(str(exc)))) from None
    except UnidentifiedImageError:
        raise ImageError("not an image file Pillow can read") from None
    except PermissionError:
        raise ImageError("permission denied") from None
    except FileNotFoundError:
        raise ImageError("file not found (broken link?)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"unreadable or truncated image: {str(exc).splitlines()[0][:160]}") from None


def too_large(pixels: int | None, size: str = "") -> str:
    """The one sentence for an image over the pixel limit."""
    how_big = (f"{size} pixels ({pixels / 1e6:,.0f} megapixels)" if size else
               f"{pixels / 1e6:,.0f} megapixels" if pixels else "too many pixels")
    return (f"image too large: {how_big}, over the {MAX_PIXELS // 1_000_000} megapixels advgui "
            "reads; shrink it first (the model sees it at about 300 × 300 anyway)")


def _pixels_in(message: str) -> int | None:
    """The pixel count in Pillow's refusal ("Image size (400000000 pixels) exceeds ..."), if
    it says one."""
    found = re.search(r"\((\d+) pixels\)", message)
    return int(found.group(1)) if found else None


def load_batch(paths: Sequence[Path | str], prepare: Callable[[Image.Image], np.ndarray]
               ) -> tuple[list, list[np.ndarray], list[tuple[Path | str, str]]]:
    """Decode files for one model run: the paths that loaded with their prepared pixels, and
    each other path with the one-line reason it did not (the run goes on without it)."""
    loaded, pixels, failed = [], [], []
    for path in paths:
        try:
            pixels.append(prepare(load_rgb(Path(path))))
            loaded.append(path)
        except ImageError as exc:
            failed.append((path, str(exc)))
    return loaded, pixels, failed
