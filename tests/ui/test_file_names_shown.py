"""A file name holding a newline (legal on Linux) is shown on one line with its newline visible,
wherever the window writes it: two photos 'a\\nb.png' and 'a\\nc.png' both read 'a' under their
thumbnails, and 'a' in the tier panel's title, the saved charts' caption and the status bar."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from advgui.ui.export import charts_caption
from advgui.ui.widgets.thumbnail_delegate import PAD, text_lines

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no newline in a Windows name")

NAMES = ("a\nb.png", "a\nc.png")
SHOWN = ("a⏎b.png", "a⏎c.png")


def _folder(tmp_path):
    folder = tmp_path / "new\nphotos"
    folder.mkdir()
    for i, name in enumerate(NAMES):
        Image.new("RGB", (40, 30), ("green", "blue")[i]).save(folder / name)
    return folder


def _opened(make_window, tiny_model, folder, qtbot):
    w = make_window(str(tiny_model))
    w.show()
    qtbot.waitExposed(w)
    w.open_paths([str(folder)])
    qtbot.waitUntil(lambda: len(w.verdicts) == len(NAMES), timeout=30_000)
    return w


def test_names_with_a_newline_are_told_apart_in_the_browser_tier_panel_and_caption(
        make_window, tiny_model, tmp_path, qtbot) -> None:
    folder = _folder(tmp_path)
    w = _opened(make_window, tiny_model, folder, qtbot)
    model = w.browser.model
    metrics = QFontMetrics(w.browser.view.font())
    width = w.browser.view.gridSize().width() - 2 * PAD
    captions = sorted(text_lines(e, metrics, width)[0] for e in model.entries)
    assert captions == list(SHOWN)  # one line each (a cell has one line for its name), apart
    for row in range(model.rowCount()):
        index = model.index(row)
        path = Path(model.entries[row].path)
        shown_path = str(path.parent).replace("\n", "⏎") + "/" + SHOWN[NAMES.index(path.name)]
        assert index.data(Qt.ItemDataRole.DisplayRole).split("\n")[0] in SHOWN
        assert index.data(Qt.ItemDataRole.ToolTipRole).split("\n")[0] == shown_path
    assert w.windowTitle() == f"advgui — {str(folder).replace(chr(10), '⏎')}"

    for name, shown in zip(NAMES, SHOWN):
        w.select_image(str(folder / name))
        label = w.tiers.verdict
        qtbot.waitUntil(lambda: "confidence" in label.text(), timeout=10_000)
        assert label.text().startswith(f"<b>{shown}</b>: ") and label.toolTip() == shown
        assert charts_caption(w).startswith(f"{shown} · model ")


def test_the_status_bar_says_which_file_on_one_line(make_window, tiny_model, tmp_path, qtbot,
                                                    monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: told.append(box.text()))
    folder = _folder(tmp_path)
    w = _opened(make_window, tiny_model, folder, qtbot)
    w.select_image(str(folder / NAMES[1]))
    (folder / NAMES[1]).unlink()  # deleted by another program after it was classified
    with qtbot.waitSignal(w.engine.attackFailed, timeout=10_000):
        w.attack_panel.run.click()
    qtbot.waitUntil(lambda: bool(told), timeout=10_000)
    assert told == [f"{SHOWN[1]}: file not found (broken link?)"]
    assert w.statusBar().full_message() == (
        f"Attack failed: {SHOWN[1]}: file not found (broken link?)")
