"""Issue 24: Open CSV, Open Folder and Open Log File did nothing visible where the system has no
program to open them; now the window says where the file is, with a Copy button."""

from __future__ import annotations

from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from advgui.ui.dialogs.open_path import open_path


def _box(parent) -> QMessageBox:
    return parent.findChild(QMessageBox, "open-path-box")


def test_opened_by_the_system_says_nothing(qtbot, tmp_path, monkeypatch) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    asked = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: asked.append(url) or True)
    assert open_path(parent, tmp_path, "folder")
    assert asked and asked[0].toLocalFile() == str(tmp_path) and _box(parent) is None


def test_a_folder_the_system_cannot_open_is_named_with_a_copy_button(qtbot, tmp_path,
                                                                     monkeypatch) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: False)
    assert not open_path(parent, tmp_path, "folder")
    box = _box(parent)
    qtbot.waitUntil(box.isVisible)
    assert "open the folder" in box.text() and box.informativeText() == str(tmp_path)
    next(b for b in box.buttons() if b.text() == "Copy path").click()
    assert QGuiApplication.clipboard().text() == str(tmp_path)


def test_a_file_gone_since_says_so(qtbot, tmp_path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    gone = tmp_path / "summary.csv"
    assert not open_path(parent, gone)
    box = _box(parent)
    assert "not there" in box.text() and box.informativeText() == str(gone)


def test_a_path_the_system_cannot_open_is_shown_with_a_copy_button(
        make_window, tiny_model, qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtGui import QDesktopServices, QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    from advgui.ui.dialogs import about

    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: False)  # no desktop launcher
    w = make_window(str(tiny_model))
    log = tmp_path / "advgui.log"
    log.write_text("a log line\n")
    monkeypatch.setattr(about, "log_file", lambda: log)
    w.open_log()  # Help > Open Log File
    box = w.findChild(QMessageBox, "open-path-box")
    qtbot.waitUntil(box.isVisible)
    assert box.informativeText() == str(log) and "no program" in box.text()
    copy = next(b for b in box.buttons() if b.text() == "Copy path")
    copy.click()
    assert QGuiApplication.clipboard().text() == str(log)
