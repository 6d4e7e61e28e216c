"""Getting an adversarial image out of the window: lossless PNG and the clipboard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from advgui.core.safe_write import atomic_write_file, describe_write_error
from advgui.ui.workers import AttackOutcome


def adversarial_qimage(outcome: AttackOutcome) -> QImage:
    a = np.ascontiguousarray(outcome.adversarial_pixels)
    return QImage(a.data, a.shape[1], a.shape[0], 3 * a.shape[1],
                  QImage.Format.Format_RGB888).copy()


def save_adversarial_png(parent: QWidget, outcome: AttackOutcome, folder: str) -> None:
    """Ask where, then write the exact 8-bit pixels the reports scored (PNG, never JPEG)."""
    stem = Path(outcome.request.path).stem
    path, _ = QFileDialog.getSaveFileName(parent, "Save adversarial image (lossless PNG)",
                                          str(Path(folder) / f"{stem}-adversarial.png"),
                                          "PNG (*.png)")
    if not path:
        return
    if not path.lower().endswith(".png"):
        path += ".png"
    image = Image.fromarray(outcome.adversarial_pixels)
    try:  # through a temporary file: a failed save never leaves half a PNG or clobbers an old one
        atomic_write_file(Path(path), lambda fh: image.save(fh, format="PNG"))
    except OSError as exc:
        QMessageBox.warning(parent, "Could not save", f"{path}: {describe_write_error(exc)}")
