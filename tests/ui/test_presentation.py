"""Presentation mode at 1024 x 768: names, photos, tiers and notes are whole; leaving restores."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel

from advgui.ui.presentation import LONGEST_CAPTION
from tests.helpers.inverse_attack import LONG, _inverse_record
from tests.helpers.window import attacked_on_explain, shown_at


def _assert_names_whole(charts, *, rows_apart: bool) -> None:
    labels = charts.name_labels()
    assert labels and len(labels) == len(charts._shown)
    font = charts.tick_font()
    metrics = QFontMetrics(font)
    axis = charts.bars.getAxis("left")
    for c, label in zip(charts._shown, labels):
        name = charts.classes[c] + (" ◎" if c == charts._target else "")
        assert label.replace("\n", " ") == name  # whole, never cut or elided
        assert "…" not in label
        for line in label.split("\n"):
            assert metrics.horizontalAdvance(line) <= axis.width() - 4, (line, axis.width())
    assert axis.width() < charts.bars.width()  # the names leave room for the bars
    if rows_apart:  # one row of names never runs into the next
        pitch = charts.bars.getViewBox().height() / len(labels)
        for above, below in zip(labels, labels[1:]):
            reach = (above.count("\n") + below.count("\n") + 2) / 2 * metrics.height()
            assert pitch >= reach, (above, below, pitch, metrics.height())


@pytest.mark.parametrize("scale", [1.5, 2.0])
def test_class_names_are_whole_at_1024_by_768_in_presentation_mode(make_window, tiny_model,
                                                                   qtbot, scale) -> None:
    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    try:
        w.set_font_scale(scale)
        qtbot.wait(50)  # the layouts settle at the new text size
        record = _inverse_record("x.png")
        w.charts.render_now(LONG, record, None)
        qtbot.wait(50)  # the rows are fitted to the plots' new size after the resize
        w.charts.render_now(LONG, record, None)
        assert 8 in w.charts._shown  # quill: the winner has its bar
        _assert_names_whole(w.charts, rows_apart=scale == 1.5)
        tick = w.charts.bars.getAxis("left").style["tickFont"]
        assert tick.pointSizeF() >= scale * 8  # names grew with the text, not shrunk to fit
        next_step = w.playback.next
        assert scale > 1.5 or next_step.width() >= QFontMetrics(next_step.font()).horizontalAdvance(
            next_step.text())  # "Next step", not "lext step"
    finally:
        w.set_font_scale(1.0)


@pytest.mark.parametrize("scale", [1.5, 2.0])
def test_presentation_layout_at_1024_by_768_gives_the_charts_room(make_window, tiny_model,
                                                                  qtbot, scale) -> None:
    """Presentation then Larger Text: the browser column steps aside, the tier panel (labels
    and all) sits under Run, the class rows are a text line apart, Next step and the caption's
    last words are whole; leaving restores the user's splitter sizes."""
    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    split = w.centralWidget()
    split.setSizes([200, 472, 352])  # the user dragged the browser narrower
    qtbot.wait(20)
    before = split.sizes()
    try:
        w.set_font_scale(scale)
        qtbot.wait(50)
        record = _inverse_record("x.png")
        w.charts.render_now(LONG, record, None)
        qtbot.wait(50)
        w.charts.render_now(LONG, record, None)
        _assert_names_whole(w.charts, rows_apart=True)
        # The photos readable (they were icons at x2) under titles drawn whole.
        for pane in (w.pair.clean, w.pair.adversarial):
            bold = pane.font()
            bold.setBold(True)
            band = QFontMetrics(bold).height() + 2
            assert min(pane.width(), pane.height() - band) >= 90, (pane.size(), scale)
            assert pane.width() >= QFontMetrics(bold).horizontalAdvance("adversarial")
        # The trajectory's 100 %, 50 % and 0 % ticks apart.
        tick = QFontMetrics(w.charts.trajectory.getAxis("left").style["tickFont"])
        assert w.charts.trajectory.getViewBox().height() >= 2.5 * tick.height()
        assert not w.browser.isVisible()
        assert w.charts.width() >= 600  # the width went to the charts
        # Tier labels are there, each whole beside its field.
        for label_text in ("High ≥", "Medium ≥"):
            label = next(lb for lb in w.tiers.findChildren(QLabel) if lb.text() == label_text)
            assert label.isVisible()
            assert label.width() >= QFontMetrics(label.font()).horizontalAdvance(label_text)
        assert w.tiers.isVisible() and w.tiers.geometry().bottom() <= w.tiers.parent().height()
        assert w.tiers.mapTo(w, w.tiers.rect().topLeft()).y() > w.attack_panel.run.mapTo(
            w, w.attack_panel.run.rect().topLeft()).y()  # under Run, in its empty room
        for button in (w.playback.next, w.playback.play, w.attack_panel.run):
            assert button.width() >= QFontMetrics(button.font()).horizontalAdvance(button.text())
        w.caption.setText(LONGEST_CAPTION)
        qtbot.wait(50)
        metrics = QFontMetrics(w.caption.font())
        needed = metrics.boundingRect(QRect(0, 0, w.caption.contentsRect().width(), 100_000),
                                      int(Qt.TextFlag.TextWordWrap), LONGEST_CAPTION).height()
        assert w.caption.contentsRect().height() >= needed  # "now 'X' at Y %" never cut
        charts_bottom = w.charts.mapTo(w, w.charts.rect().bottomLeft()).y()
        assert charts_bottom < w.playback.mapTo(w, w.playback.rect().topLeft()).y()
    finally:
        w.set_font_scale(1.0)
    qtbot.wait(20)
    assert w.browser.isVisible() and split.sizes() == before
    assert w.tiers.parent() is w.browser.parent()  # back under the browser


def test_page_keys_change_the_photo_in_presentation_mode(make_window, tiny_model, image_folder,
                                                         qtbot) -> None:
    from tests.helpers.window import open_folder

    w = make_window(str(tiny_model))
    w.show()
    open_folder(w, qtbot, image_folder)
    w.set_font_scale(1.5)
    try:
        first = w.current_path
        w.next_image()
        qtbot.waitUntil(lambda: w.current_path != first, timeout=2000)
        w.previous_image()
        qtbot.waitUntil(lambda: w.current_path == first, timeout=2000)
    finally:
        w.set_font_scale(1.0)


def test_a_lessons_note_sits_under_run_in_presentation_mode(make_window, tiny_model, qtbot) -> None:
    """At x2 under the caption the note left the charts one bar and two icons: in a room it goes
    under Run, whole, in place of the tier panel, which is back once the note is closed."""
    from advgui.ui.lesson_runner import lesson_runner

    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    note = lesson_runner(w).note
    w.presentation_layout.place_note(note)  # as Demo > a lesson does before it runs
    text = ("Same photo, same 4 levels: one big step leaves 'cash machine' at 92.8 %; many small "
            "steps make it 'web site' at 94.0 % — many small steps win.")
    note.show_lesson("Lesson 1 · Fast vs iterative", text)
    try:
        w.set_font_scale(2.0)
        # The column's layouts settle over several deferred passes (the note is shown again after
        # its move): 50 ms was not always enough on a loaded machine; the assertions still hold.
        def settled() -> bool:
            label = note.text
            needed = QFontMetrics(label.font()).boundingRect(
                QRect(0, 0, label.contentsRect().width(), 100_000), int(Qt.TextFlag.TextWordWrap),
                text).height()
            return note.isVisible() and label.contentsRect().height() >= needed

        qtbot.waitUntil(settled, timeout=5000)
        run = w.attack_panel.run
        assert note.isVisible() and not w.tiers.isVisible()
        assert note.mapTo(w, note.rect().topLeft()).y() > run.mapTo(w, run.rect().topLeft()).y()
        assert note.mapTo(w, note.rect().topLeft()).x() >= w.charts.mapTo(
            w, w.charts.rect().topRight()).x()  # beside the charts, not over them
        label = note.text
        needed = QFontMetrics(label.font()).boundingRect(
            QRect(0, 0, label.contentsRect().width(), 100_000), int(Qt.TextFlag.TextWordWrap),
            text).height()
        assert label.contentsRect().height() >= needed  # the sentence read aloud is whole
        assert note.mapTo(w, note.rect().bottomLeft()).y() <= w.statusBar().y()
        qtbot.mouseClick(note.close_button, Qt.MouseButton.LeftButton)
        assert w.tiers.isVisible()
        note.show_lesson("Lesson 1 · Fast vs iterative", text)
    finally:
        w.set_font_scale(1.0)
    qtbot.wait(20)
    assert note.parentWidget() is w.caption.parentWidget() and note.isVisible()
    assert w.tiers.isVisible() and w.tiers.parentWidget() is w.browser.parentWidget()


def test_the_adversarial_photos_title_is_whole_before_an_attack(make_window, tiny_model,
                                                                image_folder, qtbot) -> None:
    """At 1024 x 768 it read "adversarial: ru…": the title is one word and what to do is
    written, wrapped, in the photo's empty place."""
    from tests.helpers.window import open_folder

    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000001_sample1.png"))
    qtbot.waitUntil(lambda: w.pair.adversarial.title.startswith("adversarial"), timeout=5000)
    pane = w.pair.adversarial
    bold = pane.font()
    bold.setBold(True)
    assert QFontMetrics(bold).horizontalAdvance(pane.title) <= pane.width()
    assert pane.image is None and "run an attack" in pane.hint


def test_leaving_presentation_on_the_explain_tab_gives_the_browser_its_width_back(
        make_window, tiny_model, image_folder, qtbot) -> None:
    """Seen at 1024 x 768: each time presentation mode was left on the Explain tab, the browser
    lost 10 px to the middle (its five maps in a row were still wider than the user's sizes
    when they were set), thumbnail names elided more and the maps' titles wrapped again."""
    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    attacked_on_explain(w, qtbot, image_folder)
    with qtbot.waitSignal(w.explain.sigComputed, timeout=60_000):
        w.state.show_step(2)  # the maps of step 2 and their titles on screen
    before = w.splitter.sizes()
    try:
        for _ in range(2):
            w.set_font_scale(1.5)
            qtbot.waitUntil(lambda: not w.browser.isVisible(), timeout=2000)
            qtbot.wait(300)  # the views' own layout passes at the large text, as a user pauses
            w.set_font_scale(1.0)
            qtbot.waitUntil(lambda: w.splitter.sizes() == before, timeout=3000)
    finally:
        w.set_font_scale(1.0)
