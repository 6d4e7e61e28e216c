"""Help > About: version, the model in use with its hash, and the truth about the weights."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from advgui import __version__
from advgui.core.model.registry import shipped_models
from advgui.ui.dialogs.open_path import open_path


def log_file() -> Path | None:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def show_about(parent: QWidget, info) -> None:
    QMessageBox.about(parent, "About advgui", about_html(info))


def about_html(info) -> str:
    """The About text: version, the model in use and its device, the ONNX Runtime build."""
    from advgui.core.model.session import describe_runtime  # noqa: PLC0415

    model = ""
    if info is not None:
        entry = next((e for e in shipped_models() if e.name == info.name), None)
        acc = entry.info.get("accuracy_nips17_dev", {}) if entry else {}
        val = entry.info.get("accuracy_imagenet_val_held_out", {}) if entry else {}
        accuracy = (f"<br>nips17-dev top-1 {100 * acc['top1']:.1f} %, top-5 {100 * acc['top5']:.1f} %"
                    if acc else "")
        if val:
            accuracy += (f"<br>ImageNet validation photos (held-out {val['n']}): top-1 "
                         f"{100 * val['top1']:.1f} %, ECE {val['ece']:.3f}, AUC "
                         f"{val['auc_top1_confidence']:.3f}; tiers {val['tier_high']} / "
                         f"{val['tier_medium']} / {val['tier_low']}")
        if entry and "calibration" in entry.info:
            cal = entry.info["calibration"]
            a, b, c = cal.get("theta", (0.0, 0.0, 0.0))
            accuracy += (f"<br>Calibrated: logits z × exp({a:.3f} {b:+.3f}·log var z "
                         f"{c:+.3f}·log mean f²), a temperature that follows how spread the "
                         "logits are; fitted on the other half of those photos")
        model = (f"<p><b>Model:</b> {info.name}{accuracy}<br>SHA-256 of the graph: "
                 f"<code>{info.sha256[:16]}…</code><br>Device: {info.device}</p>")
    log = log_file()
    return (
        f"<h3>advgui {__version__}</h3><p>See how easily an image classifier is fooled by "
        "gradient-sign attacks, by confidence tier.</p>"
        f"{model}<p><b>Runtime:</b> {describe_runtime()}</p><p>The shipped InceptionV3 is Google's 2015-12-05 backbone with a classifier layer "
        "distilled from EfficientNet-Lite0 by advgui; EfficientNet-Lite0 is the complete original. "
        "Both derive from Google's published ImageNet models, for research and education.</p>"
        + (f"<p>Log file: <code>{log}</code></p>" if log else ""))


def open_log(window) -> None:
    """Help > Open Log File."""
    path = log_file()
    if path is None:
        window.state.tell("Logging to the terminal only (no log file).", 5000, about=())
    else:
        open_path(window, path, "log file")


def show_shortcuts(parent: QWidget) -> None:
    """Help > Keyboard Shortcuts (F1): built from the actions table the menus are built from."""
    from advgui.ui.actions import help_html  # noqa: PLC0415

    QMessageBox.information(parent, "Keyboard shortcuts", help_html())


def show_credits(parent: QWidget) -> None:
    """The sample photos' authors and licences (CC BY 2.0 asks for attribution)."""
    from advgui.samples import credits  # noqa: PLC0415

    rows = "".join(f"<tr><td>{c['file']}</td><td>&nbsp;{c['class_name']}</td><td>&nbsp;"
                   f"<a href='{c['source_url']}'>{c['author']}</a></td><td>&nbsp;"
                   f"<a href='{c['license']}'>CC BY 2.0</a></td></tr>" for c in credits())
    box = QMessageBox(QMessageBox.Icon.Information, "Sample photo credits",
                      "The sample photos are from the NIPS 2017 adversarial competition's "
                      "development set (Flickr photos under Creative Commons Attribution 2.0). "
                      "Each one's author and source:", parent=parent)
    box.setInformativeText(f"<table>{rows}</table>")
    box.exec()
