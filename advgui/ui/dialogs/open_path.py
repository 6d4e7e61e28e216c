"""Opening a file or folder with the system's viewer, and saying where it is in the window when
the system cannot (no desktop launcher: a bare X session, a server, a container). Before, Open
CSV, Open Folder and Open Log File did nothing visible there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget


def open_path(parent: QWidget, path: Path | str, what: str = "file") -> bool:
    """Open `path` with the system's viewer; where that fails, a box names it with a Copy
    button (window-modal, not blocking). Returns whether the system opened it."""
    path = Path(path)
    if not path.exists():
        _tell(parent, path, f"The {what} is not there (any more):")
        return False
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return True
    _tell(parent, path, f"This system has no program set to open the {what}. It is here:")
    return False


def _tell(parent: QWidget, path: Path, sentence: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, "Where it is", sentence, parent=parent)
    box.setObjectName("open-path-box")
    box.setInformativeText(str(path))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # copy a part
    copy = box.addButton("Copy path", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    # The Copy button must not close the box before the path is on the clipboard; it does close
    # it afterwards (QMessageBox closes on any button), which is what a user expects.
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(str(path)))
    box.finished.connect(box.deleteLater)
    box.open()
    return box
