"""Reading image files the way users have them: odd modes, rotations, broken files, huge ones.

Every failure becomes an ImageError whose message is one readable line.
"""

from __future__ import annotations

import csv
import os
import stat
import warnings
from pathlib import Path
from typing import Callable, Iterator, Sequence

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
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise ImageError(f"image is {w}x{h}, over the {MAX_PIXELS // 1_000_000} MP limit")
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
        raise ImageError(f"image too large (decompression-bomb guard): {exc}") from None
    except UnidentifiedImageError:
        raise ImageError("not an image file Pillow can read") from None
    except PermissionError:
        raise ImageError("permission denied") from None
    except FileNotFoundError:
        raise ImageError("file not found (broken link?)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"unreadable or truncated image: {str(exc).splitlines()[0][:160]}") from None


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


def iter_image_files(folder: Path) -> Iterator[Path]:
    """Image files under folder (recursively), as they are found, by suffix; hidden ones skipped."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES:
                yield Path(root) / name


def list_image_files(folder: Path) -> list[Path]:
    """Image files under folder (recursively), sorted; hidden files skipped."""
    return sorted(iter_image_files(folder))


def read_labels_csv(path: Path) -> dict[str, int]:
    """file -> class index from a CSV with 'file' and 'class_index' columns (nips17-dev layout)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "file" not in rows[0] or "class_index" not in rows[0]:
        raise ValueError(f"{path}: a labels CSV needs 'file' and 'class_index' columns")
    return {r["file"]: int(r["class_index"]) for r in rows}


def truth_for(path: Path, root: Path, labels: dict[str, int] | None,
              wnid_index: dict[str, int]) -> int:
    """Ground truth of a file, or -1: labels CSV, then a wnid file-name prefix, then the folder."""
    if labels:
        rel = path.relative_to(root).as_posix()
        for key in (rel, path.name):
            if key in labels:
                return labels[key]
    prefix = path.name.split("_")[0]
    if prefix in wnid_index:
        return wnid_index[prefix]
    if path.parent.name in wnid_index:
        return wnid_index[path.parent.name]
    return -1
