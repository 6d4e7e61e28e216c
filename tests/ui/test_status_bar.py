"""A status message that does not fit ends in '…' with the whole text in the tooltip, and is cut
again to the new room when the window is resized."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from advgui.ui.widgets.status_bar import ElidingStatusBar


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


def test_message_is_cut_again_when_a_permanent_label_grows(qtbot) -> None:
    w = QMainWindow()
    bar = ElidingStatusBar(w)
    w.setStatusBar(bar)
    progress = QLabel("")
    bar.addPermanentWidget(progress)
    qtbot.addWidget(w)
    w.resize(700, 200)
    w.show()
    qtbot.waitExposed(w)
    text = "Listing the images in /data/imagenet/val/some/long/folder/name… 12,345 so far"
    bar.showMessage(text)
    qtbot.waitUntil(lambda: bar.currentMessage() == text)
    progress.setText("attack 120/4,000 · 3.2/s · ETA 0:20:31 · high:40 medium:21 low:5")

    def fits() -> bool:
        room = progress.geometry().left()
        return (bar.currentMessage().endswith("…")
                and bar.fontMetrics().horizontalAdvance(bar.currentMessage()) < room)
    qtbot.waitUntil(fits)
    progress.setText("")
    qtbot.waitUntil(lambda: bar.currentMessage() == text)
    assert bar.full_message() == text
