"""Getting an adversarial image out of the window: lossless PNG and the clipboard, and the
charts as a captioned PNG (File > Save Adversarial, Copy Adversarial, Save Charts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from advgui.core.records.safe_write import atomic_write_file, describe_write_error
from advgui.core.app_state.attack_record import AttackOutcome
from advgui.core.file_names import shown_name
from advgui.ui.save_places import inside, offered_folder, remember_save


def save_adversarial(window) -> None:
    if window.state.result is None:
        window.state.tell("No finished attack on this image to save.", 5000, about=("image",))
        return
    _saved(window, "Saved", save_adversarial_png(window, window.state.result,
                                                 offered_folder(window.settings, window.folder)))


def copy_adversarial(window) -> None:
    if window.state.result is None:
        window.state.tell("No finished attack on this image to copy.", 5000, about=("image",))
        return
    QGuiApplication.clipboard().setImage(adversarial_qimage(window.state.result))
    window.state.tell("Adversarial image copied (lossless, as saved).", 5000, about=("image",))


def save_charts(window) -> None:
    _saved(window, "Charts saved:",
           save_charts_png(window, offered_folder(window.settings, window.folder)))


def _saved(window, what: str, path: str) -> None:
    """Say where it went (in the window: the path can be copied from the tooltip) and offer
    that folder next time; warn when it went into the folder being browsed."""
    if not path:
        return
    remember_save(window.settings, path)
    listed = (" It is inside the folder being browsed: it will be listed as a photo the next "
              "time this folder is opened." if inside(Path(path), window.folder) else "")
    window.state.tell(f"{what} {shown_name(path)}.{listed}", 15000 if listed else 8000, about=())


def adversarial_qimage(outcome: AttackOutcome) -> QImage:
    a = np.ascontiguousarray(outcome.adversarial_pixels)
    return QImage(a.data, a.shape[1], a.shape[0], 3 * a.shape[1],
                  QImage.Format.Format_RGB888).copy()


def save_adversarial_png(parent: QWidget, outcome: AttackOutcome, start: Path) -> str:
    """Ask where (offering `start`), then write the exact 8-bit pixels the reports scored (PNG,
    never JPEG). The path written, or "" when cancelled or failed."""
    stem = Path(outcome.request.path).stem
    path, _ = QFileDialog.getSaveFileName(parent, "Save adversarial image (lossless PNG)",
                                          str(start / f"{stem}-adversarial.png"),
                                          "PNG (*.png)")
    if not path:
        return ""
    if not path.lower().endswith(".png"):
        path += ".png"
    image = Image.fromarray(outcome.adversarial_pixels)
    try:  # through a temporary file: a failed save never leaves half a PNG or clobbers an old one
        atomic_write_file(Path(path), lambda fh: image.save(fh, format="PNG"))
    except OSError as exc:
        QMessageBox.warning(parent, "Could not save", f"{path}: {describe_write_error(exc)}")
        return ""
    return path


def charts_caption(window) -> str:
    """What a saved chart shows: the image, the model and the attack (and the step shown)."""
    state = window.state
    parts = [shown_name(Path(state.path).name) if state.path else "no image"]
    if state.model is not None:
        parts.append(f"model {state.model.name} ({state.model.sha256[:12]})")
    record = state.shown
    if record is not None:
        r = record.start.request
        if r.method == "square":  # it was called "square gradient sign": it uses no gradient
            attack = f"Square Attack (gradient-free), target {r.target}, ε {r.eps:g}/255"
            if r.queries:
                attack += f", {r.queries:,} queries"
        else:
            attack = f"{r.method} gradient sign, target {r.target}, ε {r.eps:g}/255"
        if r.method in ("iterative", "pgd", "momentum"):
            attack += f", α {r.alpha:g}, {r.steps} steps"
        parts.append(attack)
        parts.append(f"step {record.clamp(state.cursor)} of {record.total}")
    else:
        parts.append("clean image, no attack")
    return " · ".join(parts)


def save_charts_png(window, start: Path) -> str:
    """Ask where (offering `start`), then write both charts at twice their size on screen,
    captioned. The path written, or "" when cancelled or failed."""
    stem = Path(window.state.path).stem if window.state.path else "charts"
    offered = str(start / f"{stem}-charts.png")
    path, _ = QFileDialog.getSaveFileName(window, "Save charts (PNG, 2x)", offered, "PNG (*.png)")
    if not path:
        return ""
    if not path.lower().endswith(".png"):
        path += ".png"
    image = window.charts.render_image(charts_caption(window), scale=2.0)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    try:
        atomic_write_file(Path(path), lambda fh: fh.write(bytes(data)))
    except OSError as exc:
        QMessageBox.warning(window, "Could not save", f"{path}: {describe_write_error(exc)}")
        return ""
    return path
