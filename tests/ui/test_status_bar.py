"""A status message that does not fit ends in '…' with the whole text in the tooltip, and is cut
again to the new room when the window is resized."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from advgui.ui.status_bar import ElidingStatusBar


def test_long_message_is_cut_with_an_ellipsis_and_recut_on_resize(qtbot) -> None:
    w = QMainWindow()
    bar = ElidingStatusBar(w)
    w.setStatusBar(bar)
    bar.addPermanentWidget(QLabel("InceptionV3 · CPU"))
    qtbot.addWidget(w)
    w.resize(420, 200)
    w.show()
    qtbot.waitExposed(w)
    text = "Attack failed: " + "a very long file name " * 12 + "end.png"
    bar.showMessage(text, 5000)
    shown = bar.currentMessage()
    assert shown.endswith("…") and len(shown) < len(text)
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.width()
    assert bar.full_message() == text and bar.toolTip() == text
    w.resize(4000, 200)
    qtbot.waitUntil(lambda: bar.currentMessage() == text)
    assert bar.toolTip() == ""
    bar.showMessage("short", 5000)
    assert bar.currentMessage() == "short" and bar.full_message() == "short"
    bar.clearMessage()
    assert bar.full_message() == "" and bar.toolTip() == ""
