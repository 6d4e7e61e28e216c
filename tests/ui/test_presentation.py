"""Issue 24: the charts on a projector. At 1024 x 768 in presentation mode (and with Larger Text
x2) every class name on the bar chart is whole, measured with QFontMetrics as drawn; the photo
pair and its headline sit beside the charts; the inverse attack's winner has a bar and a line;
Inspect names the step shown; Next step stays whole."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel

from advgui.core.app_state.attack_record import AttackRecord, AttackRequest, AttackStart, AttackStep
from advgui.ui.presentation import LONGEST_CAPTION
from tests.helpers.window import attacked_on_explain, shown_at

# Long ImageNet names: the ones a projector cut to three letters ("tur… pay… cas…").
# The names InceptionV3 shows for the turnstile photo, with the longest of ImageNet's.
LONG = ("turnstile", "pay-phone", "cash machine", "parking meter", "ashcan", "loudspeaker",
        "traffic light", "joystick", "quill", "Chesapeake Bay retriever")


def _inverse_record(path: str, total: int = 10) -> AttackRecord:
    """Turnstile 14 % pushed down; four classes lead in turn, then quill wins with 100 %."""
    clean = np.array([0.14, 0.1, 0.04, 0.03, 0.02, 0.01, 0.005, 0.002, 1e-4, 1e-4])
    clean = clean / clean.sum()
    start = AttackStart(AttackRequest(path, "iterative", "inverse", 8.0, 1.0, total),
                        np.zeros((8, 8, 3), np.uint8), clean, 0, False, total)
    record = AttackRecord(start)
    for k in range(1, total + 1):
        p = np.full(10, 0.01)
        p[{1: 1, 2: 5, 3: 6, 4: 7, 5: 7}.get(k, 8)] = 0.9 if k < 7 else 1.0
        record.steps.append(AttackStep(k, total, p / p.sum(), 0.0, 0.01, 0.0,
                                       np.full((8, 8, 3), 10 * k, np.uint8), k))
    return record


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


def test_every_leader_has_a_bar_and_a_line_and_scrubbing_keeps_the_axis(qtbot) -> None:
    from advgui.ui.widgets.prob_charts import ProbabilityCharts

    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    charts.resize(700, 600)
    charts.show()
    record = _inverse_record("x.png")
    charts.render_now(LONG, record, None)
    leaders = {1, 5, 6, 7, 8}  # more than fit beside the clean top-5 under the old 8-bar cap
    assert leaders <= set(charts._shown)
    drawn = {round(float(c.getData()[1][-1]), 3) for c in charts.leader_curves
             if c.getData()[0] is not None and len(c.getData()[0])}
    assert round(float(record.steps[-1].probabilities[8]), 3) in drawn  # quill's line
    assert "quill" in key_text(charts)
    i = charts._shown.index(8)
    assert charts.adv_bars.opts["height"][i] == pytest.approx(record.steps[-1].probabilities[8])
    high = charts.trajectory.getViewBox().viewRange()[0][1]
    charts.render_now(LONG, record, 3)  # scrubbing back: the axis still spans the attack
    assert charts.trajectory.getViewBox().viewRange()[0][1] == pytest.approx(high)
    assert len(charts.clean_curve.getData()[0]) == 4
    # The key is under the plot, not over its curves.
    assert charts.trajectory.plotItem.legend is None
    assert not charts.key.geometry().intersects(charts.trajectory.geometry())


def test_the_photo_pair_and_headline_follow_the_step(qtbot) -> None:
    from advgui.core.app_state.window_state import ModelInfo, WindowState
    from advgui.ui.widgets.pair_view import PairView
    from advgui.ui.widgets.prob_charts import ProbabilityCharts

    state = WindowState()
    state.model = ModelInfo("tiny", "cpu", LONG, tuple(str(i) for i in range(10)), 8,
                            (1.0, 1.0, 1.0), "0" * 64)
    pair, charts = PairView(), ProbabilityCharts()
    charts.add_beside(pair, pair.headline)
    qtbot.addWidget(charts)
    charts.resize(900, 700)
    charts.show()
    pair.bind(state)
    state.path = "x.png"
    record = _inverse_record("x.png")
    state.live = record
    state.show_step(None)
    assert pair.headline.text() == "clean: turnstile 40 % → adversarial: quill 92 %"
    assert pair.adversarial.image is not None and pair.clean.image is not None
    state.show_step(2)
    assert pair.headline.text().endswith("→ adversarial: loudspeaker 91 %")
    assert pair.adversarial.image.pixelColor(0, 0).red() == 20  # the step-2 image
    pair.show_perturbation.setChecked(True)
    assert pair.perturbation.isVisible() and pair.perturbation.image is not None
    # Saved charts hold the headline and the pair above the charts.
    with_pair = charts.render_image("x.png · tiny", 2.0)
    plots = 2 * (charts.bars.height() + charts.trajectory.height())
    assert with_pair.height() >= pair.picture(with_pair.width()).height() + plots - 10


def test_inspect_names_the_step_shown_and_keeps_its_layout(qtbot) -> None:
    from advgui.core.app_state.attack_record import AttackOutcome
    from advgui.core.app_state.perturbation import perturbation_view
    from advgui.ui.widgets.inspect_panel import InspectPanel

    record = _inverse_record("x.png")
    last = record.steps[-1]
    record.outcome = AttackOutcome(record.start.request, record.start.clean_pixels, last.pixels,
                                   record.start.clean_probabilities, last.probabilities, 0, 1,
                                   perturbation_view(record.start.clean_pixels, last.pixels), 0.01)
    panel = InspectPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    panel.render(record, 8, LONG)
    assert panel.adversarial.title.text() == "Adversarial, step 8"
    where = [p.geometry() for p in (panel.original, panel.adversarial, panel.perturbation)]
    panel.render(record, 10, LONG)  # scrubbed on to the end: 10, not 8
    assert "step 10" in panel.adversarial.title.text()
    qtbot.wait(20)
    assert [p.geometry() for p in (panel.original, panel.adversarial, panel.perturbation)] == where
    panel.second.text.setText("<b>second</b> on the same images: clean 'a' 10 %, adversarial "
                              "'b' 90 %: fooled as well; a long line that wraps twice over")
    qtbot.wait(20)
    assert [p.geometry() for p in (panel.original, panel.adversarial, panel.perturbation)] == where


def test_caption_headline_bars_and_trajectory_agree_at_every_step_of_an_inverse_attack(
        make_window, tiny_model, image_folder, qtbot) -> None:
    """As a teacher does it: an inverse attack, then the slider through every step."""
    from PySide6.QtCore import Qt

    from tests.helpers.window import open_folder, settled

    w = make_window(str(tiny_model))
    w.show()
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000001_sample1.png"))
    panel = w.attack_panel
    panel.method.setCurrentIndex(panel.method.findData("iterative"))
    panel.target.setCurrentIndex(panel.target.findData("inverse"))
    panel.eps.setValue(16)
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        qtbot.mouseClick(panel.run, Qt.MouseButton.LeftButton)
    settled(w, qtbot)
    record, names = w.state.attack, w.info.class_names
    for k in range(len(record.steps) + 1):
        w.playback.slider.setValue(k)
        probs = record.probabilities_at(k)
        leader = int(np.argmax(probs))
        assert leader in w.charts._shown and names[leader] in key_text(w.charts)
        row = w.charts._shown.index(leader)
        bars = w.charts.adv_bars.opts["height"] if k else w.charts.clean_bars.opts["height"]
        assert bars[row] == pytest.approx(probs[leader])
        if k:
            assert f"now '{names[leader]}' at {100 * probs[leader]:.1f} %" in w.caption.text()
            assert w.pair.headline.text().endswith(
                f"→ adversarial: {names[leader]} {pair_percent(probs[leader])}")
        assert len(w.charts.clean_curve.getData()[0]) == k + 1
    for c in record.leaders(None):  # every class that ever led keeps its bar and its line
        assert c in w.charts._shown and names[c] in key_text(w.charts)


def pair_percent(p: float) -> str:
    from advgui.ui.widgets.pair_view import percent

    return percent(p)


def key_text(charts) -> str:
    """The trajectory's key as the user reads it (no markup)."""
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(charts.key.text())
    return doc.toPlainText().replace("\xa0", " ")


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


@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
def test_inspect_texts_never_overlap_at_1024_by_768_in_presentation_mode(make_window, tiny_model,
                                                                         qtbot, scale) -> None:
    """The second model's row was drawn over the top-5's last lines ("umbrella: 0.00" under
    "Second model") at x1.5 on a 1024 x 768 projector; the top-5's last line (the flip) cut."""
    from PySide6.QtCore import QRect

    from advgui.core.app_state.attack_record import AttackOutcome
    from advgui.core.app_state.perturbation import perturbation_view

    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    w.menu_actions["presentation"].trigger()
    try:
        w.set_font_scale(scale)
        w.show_inspect()
        record = _inverse_record("x.png")
        last = record.steps[-1]
        record.outcome = AttackOutcome(record.start.request, record.start.clean_pixels,
                                       last.pixels, record.start.clean_probabilities,
                                       last.probabilities, 0, 1,
                                       perturbation_view(record.start.clean_pixels, last.pixels),
                                       0.01)
        panel = w.inspect
        panel.render(record, 10, LONG)
        qtbot.wait(100)  # the layouts settle at the new text size
        where = {name: QRect(widget.mapTo(panel, widget.rect().topLeft()), widget.size())
                 for name, widget in (("top-5", panel.verdict), ("second", panel.second),
                                      ("blink", panel.blink), ("histogram", panel.histogram))}
        names = list(where)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert not where[a].intersects(where[b]), (a, where[a], b, where[b])
            assert panel.rect().contains(where[a]), (a, where[a], panel.rect())
        verdict = panel.verdict
        metrics = QFontMetrics(verdict.font())
        shown = metrics.boundingRect(QRect(0, 0, verdict.contentsRect().width(), 100_000),
                                     int(Qt.TextFlag.TextWordWrap),
                                     QLabel(verdict.text()).text().replace("<br>", "\n")
                                     .replace("<b>", "").replace("</b>", ""))
        assert shown.height() <= verdict.contentsRect().height()  # the flip line is whole
        assert "flipped" in verdict.text() or "did not change" in verdict.text()
        # The second model's verdict whole too (it was cut after "(98.6"), and the histogram's
        # bars more than a sliver under its axis.
        second = panel.second.text
        second.setText("<b>efficientnet_lite0</b> on the same images: clean 'necklace' "
                       "(97.9 %), adversarial 'necklace' (98.6 %): not fooled")
        needed = QFontMetrics(second.font()).boundingRect(
            QRect(0, 0, second.contentsRect().width(), 100_000), int(Qt.TextFlag.TextWordWrap),
            "efficientnet_lite0 on the same images: clean 'necklace' (97.9 %), adversarial "
            "'necklace' (98.6 %): not fooled").height()
        assert needed <= second.contentsRect().height(), (needed, second.contentsRect())
        bars = panel.histogram.getViewBox().height()
        assert bars >= 1.5 * metrics.lineSpacing(), bars
    finally:
        w.menu_actions["presentation"].trigger()
        w.set_font_scale(1.0)


def test_inspect_photos_fill_their_panes_again_after_a_squeeze(qtbot) -> None:
    """Leaving presentation mode left Inspect's photos 40 px icons in 180 px panes: squeezed
    once, the aspect-locked views never came back."""
    from advgui.ui.widgets.inspect_panel import InspectPanel

    panel = InspectPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    pixels = np.full((64, 64, 3), 128, np.uint8)
    panel.show_clean(pixels)
    qtbot.wait(50)
    for squeezed in ((260, 600), (800, 330), (120, 300)):  # narrow, low, both
        panel.resize(*squeezed)
        qtbot.wait(50)
        panel.resize(800, 600)
        qtbot.wait(50)
    for pane in (panel.original,):
        drawn = pane.viewbox.mapViewToDevice(pane.item.boundingRect()).boundingRect()
        room = min(pane.viewbox.width(), pane.viewbox.height())
        assert min(drawn.width(), drawn.height()) >= 0.9 * room, (drawn, room)


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
