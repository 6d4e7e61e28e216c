"""A status message that does not fit ends in '…' with the whole text in the tooltip, and is cut
again to the new room when the window is resized."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow

from advgui.ui.widgets.status_bar import ElidingStatusBar
from tests.helpers.window import shown_at


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


# -- the window's status is about what is on screen (issue 24, item 8) ---------------------------
def _attack_once(w, qtbot, path) -> None:
    from PySide6.QtCore import Qt

    w.select_image(str(path))
    w.attack_panel.method.setCurrentIndex(w.attack_panel.method.findData("iterative"))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        qtbot.mouseClick(w.attack_panel.run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.attacking, timeout=30_000)


def test_done_message_and_step_timing_go_when_another_image_is_selected(
        make_window, tiny_model, image_folder, qtbot) -> None:
    from tests.helpers.window import open_folder

    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    attacked = image_folder / "n00000001_sample1.png"
    _attack_once(w, qtbot, attacked)
    assert w.statusBar().full_message().startswith("Done: ")
    assert w.step_label.text().startswith("step ") and "ms/step" in w.step_label.text()
    name = w.info.class_names[w.verdicts[str(attacked)].top1]
    w.select_image(str(image_folder / "n00000002_sample2.png"))  # the user clicks another photo
    assert w.statusBar().full_message() == "" and w.step_label.text() == ""
    assert w.tiers.verdict.toolTip() == "n00000002_sample2.png"
    w.select_image(str(attacked))  # back: its result is shown again, with its timing
    assert w.step_label.text().startswith("step ")
    assert name in w.tiers.verdict.text()


def test_a_message_said_after_the_switch_stays(make_window, tiny_model, image_folder,
                                               qtbot) -> None:
    """Dropping goes by what a message is about, not by age: a message about nothing on
    screen (the text size) stays across an image switch, and an attack's message is never
    shown once its image has been left."""
    from tests.helpers.window import open_folder

    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000001_sample1.png"))
    w.larger_text()
    w.select_image(str(image_folder / "n00000002_sample2.png"))
    assert w.statusBar().full_message().startswith("Text size")
    w.state.tell("Done: thing 3 (99.9 %)", 15000, image=str(image_folder / "n00000001_sample1.png"))
    assert w.statusBar().full_message().startswith("Text size")
    w.set_font_scale(1.0)  # the application's font is shared by the tests after this one


def test_another_model_shows_no_timing_tier_or_counts_of_the_one_before(
        make_window, tiny_model, image_folder, qtbot, tmp_path) -> None:
    import onnx

    from tests.helpers.models import tiny_classifier_model
    from tests.helpers.window import open_folder

    other = tmp_path / "other.onnx"
    onnx.save(tiny_classifier_model(seed=7), other)
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    photo = image_folder / "n00000001_sample1.png"
    _attack_once(w, qtbot, photo)
    old_tier = w.tiers.verdict.text()
    assert "confidence" in old_tier and "Folder" in w.tiers.counts.text()
    seen: list[tuple[str, str, str, str]] = []

    def at_load(info) -> None:  # what the window shows the moment the new model is in use
        seen.append((w.statusBar().full_message(), w.step_label.text(), w.tiers.verdict.text(),
                     w.tiers.counts.text()))

    w.engine.modelLoaded.connect(at_load, Qt.ConnectionType.QueuedConnection)
    w.switch_model(str(other))
    qtbot.waitUntil(lambda: bool(seen), timeout=30_000)
    message, step, tier, counts = seen[0]
    assert "ms per step" not in message and step == ""
    assert tier != old_tier and ("classifying…" in tier or "confidence" in tier)
    assert w.model_label.text() == "Model: other"
    qtbot.waitUntil(lambda: len(w.verdicts) == 6, timeout=30_000)
    assert "confidence" in w.tiers.verdict.text() and "Folder" in w.tiers.counts.text()


def test_another_folder_shows_nothing_of_the_one_before(make_window, tiny_model, image_folder,
                                                        qtbot, tmp_path) -> None:
    from PIL import Image

    from tests.helpers.window import open_folder

    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    _attack_once(w, qtbot, image_folder / "n00000001_sample1.png")
    assert w.step_label.text() and w.statusBar().full_message().startswith("Done")
    other = tmp_path / "other"
    other.mkdir()
    Image.new("RGB", (40, 30), "red").save(other / "red.png")
    w.engine.classified.disconnect(w._classified)  # the new folder's verdicts not in yet
    w.open_paths([str(other)])
    qtbot.waitUntil(lambda: w.images.rowCount() == 1, timeout=30_000)
    assert w.step_label.text() == ""
    assert not w.statusBar().full_message().startswith("Done")
    assert w.tiers.counts.text() == "" and "6" not in w.progress_label.text()
    assert "red.png" in w.tiers.verdict.text() and "classifying…" in w.tiers.verdict.text()
    assert "Run an attack" in w.caption.text()


def test_the_step_timing_says_the_done_messages_ms_per_step(make_window, tiny_model, image_folder,
                                                            qtbot) -> None:
    """At 1920x1080: 'Done: ocarina …; 1331 ms per step' beside 'step 10/10 · 581 ms/step' (the
    last step's time against the median): once done, one figure."""
    import dataclasses
    import re

    from tests.helpers.window import open_folder

    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    attacked = image_folder / "n00000001_sample1.png"
    _attack_once(w, qtbot, attacked)
    record = w.state.shown
    # a slow first step, a quick last one (a shared CPU): the median is not the last step's
    record.steps[-1] = dataclasses.replace(record.steps[-1], seconds=0.581)
    record.outcome = dataclasses.replace(record.outcome, seconds_per_step=1.331)
    w.select_image(str(image_folder / "n00000002_sample2.png"))
    w.select_image(str(attacked))  # back: its result and timing shown again
    assert re.search(r"· (\d+) ms/step", w.step_label.text()).group(1) == "1331", w.step_label.text()


def _whole(label) -> bool:
    """The label shows its whole text: no '…' and the text's width within the label."""
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QLabel

    shown = QLabel.text(label)  # what is drawn (the eliding label keeps the whole in text())
    width = QFontMetrics(label.font()).horizontalAdvance(label.text())
    return shown == label.text() and width <= label.contentsRect().width()


def test_status_fields_are_whole_at_1024_by_768(make_window, tiny_model, image_folder,
                                                qtbot) -> None:
    """At 1024 x 768 they read "Model: ince…" and "… · top-1 rig…" beside an empty bar: the
    labels take their text's width while the message keeps a third of the bar, and the charts
    keep their height."""
    from tests.helpers.window import open_folder

    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    tabs_height = w.tabs.height()
    open_folder(w, qtbot, image_folder)
    _attack_once(w, qtbot, image_folder / "n00000001_sample1.png")
    # The longest texts these fields get for a big folder and a long model name.
    w.model_label.setText("Model: efficientnet_lite0")
    w.progress_label.setText("1,000 / 1,000 classified" + " · ✓ 380 of 412 labelled")
    bar = w.statusBar()
    fields = (w.model_label, w.device_label, w.step_label, w.progress_label)
    qtbot.waitUntil(lambda: all(_whole(f) for f in fields), timeout=2000)
    assert "labelled" in w.progress_label.text() and w.device_label.text()
    assert bar._room() >= bar.width() // 3 - 40  # the message keeps its third
    assert w.width() == 1024 and w.tabs.height() == tabs_height
    assert bar.height() < 2 * bar.fontMetrics().height() + 12  # one line, not two
    # A field with a long text still ends in '…' within its room, never widening the window.
    w.progress_label.setText("a very long message about something that went wrong " * 4)
    qtbot.wait(50)
    assert not _whole(w.progress_label) and QLabel.text(w.progress_label).endswith("…")
    assert w.width() == 1024
