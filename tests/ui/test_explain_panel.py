"""The Explain tab: the maps of the step shown, titled with what they are, and the divergence
strip growing with the steps, live and in playback."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel

from tests.helpers.window import attacked_on_explain, open_folder, settled, shown_at


def _strip_colours(w) -> np.ndarray:
    return w.explain.strip_image.image


def _computed_everything(w) -> None:
    """Asserts, so that a wait that runs out says which part was still pending."""
    record = w.state.shown
    assert record is not None and record.finished, "the attack has not finished"
    assert w.explain._job is not None and w.explain._job.done, "a job is still running"
    assert w.explain._asked(record) is None, f"still to compute: {w.explain._asked(record)}"


def test_explain_tab_shows_maps_and_a_strip_that_grows(make_window, tiny_model, image_folder,
                                                       qtbot) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000001_sample1.png"))
    w.tabs.setCurrentWidget(w.explain)
    w.attack_panel.eps.setValue(10)
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    qtbot.waitUntil(lambda: _computed_everything(w), timeout=60_000)
    steps = len(w.state.attack.steps)
    strip = _strip_colours(w)
    blocks = [name for _, name in w.explain.strip.getAxis("left")._tickLevels[0]]
    assert strip.shape[:2] == (len(w.explain._blocks), steps + 1)
    assert blocks[0] == w.explain._blocks[0]  # the model's own tensor names, input first
    assert w.explain._blocks[-1].startswith("flatten")
    # Every step is computed: no grey column left.
    assert not (strip[:, 1:] == [60, 60, 60]).all(axis=2).all(axis=0).any()
    titles = [p.title.text() for p in w.explain.panes]
    assert titles[1] == f"Adversarial, step {steps} of {steps}"
    assert "∂ logit / ∂ pixel" in titles[2] and f"step {steps}" in titles[2]
    layer = w.explain._holder.explainer.parts.spatial_map.name
    assert f"Grad-CAM at {layer}" in titles[3] and "photo" in titles[3]
    assert f"Grad-CAM at {layer}" in titles[4]
    assert "99th percentile" in w.explain.note.text()

    # Playback: step 2 gets its own maps.
    with qtbot.waitSignal(w.explain.sigComputed, timeout=30_000):
        w.state.show_step(2)
    assert w.explain.panes[1].title.text() == f"Adversarial, step 2 of {steps}"
    assert "step 2" in w.explain.panes[2].title.text()
    settled(w, qtbot)


def _shown_side(pane) -> int:
    """The side of the square map on screen (the aspect is locked: the smaller of the two)."""
    return int(min(pane.viewbox.width(), pane.viewbox.height()))


def test_maps_are_large_enough_for_a_lecture_hall_at_1024_by_768(make_window, tiny_model,
                                                                 image_folder, qtbot) -> None:
    """Five maps in one row were 51 px at 1024 x 768 (the strip took the height): the maps get
    the room (3 + 2 there), the strip keeps its least height and its block names, apart (at
    1920 x 1080 in presentation mode they ran over each other)."""
    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    attacked_on_explain(w, qtbot, image_folder)
    qtbot.waitUntil(lambda: _computed_everything(w), timeout=60_000)
    panel = w.explain
    try:
        for size, scale, least in (((1024, 768), 1.0, 110), ((1024, 768), 1.5, 120),
                                   ((1920, 1050), 1.5, 250)):
            w.resize(*size)
            w.set_font_scale(scale)
            qtbot.waitUntil(lambda: w.width() == size[0], timeout=2000)
            qtbot.wait(50)
            sides = [_shown_side(p) for p in panel.panes]
            assert min(sides) >= least, (scale, sides, panel.size())
            # Whole on the tab, none over another, each under its title.
            boxes = [p.geometry() for p in panel.panes]
            assert all(panel.rect().contains(b) for b in boxes)
            assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
            # The note (over the strip, or in the cell 3 + 2 leaves empty) over no map.
            assert panel.note.isVisible() and panel.note.height() > 0
            assert not any(panel.note.geometry().intersects(b) for b in boxes)
            for p in panel.panes:
                assert p.title.geometry().bottom() <= p.geometry().top()
                assert p.title.height() >= p.title.fontMetrics().height()  # a title line shows
            assert panel.strip.height() >= 110  # its step axis and a few block names
            assert panel.strip.geometry().top() > max(b.bottom() for b in boxes)
            # Block names on the strip's axis, rows apart enough to read.
            if size[0] == 1920:  # InceptionV3's 18 blocks, where names are crowded
                panel._divergence.clear()
                panel._blocks = tuple(f"mixed_{i}" for i in range(18))
                panel._draw_strip()
            axis = panel.strip.getAxis("left")
            names = axis._tickLevels[0]
            assert names and len(names) >= min(4, len(panel._blocks))
            apart = (names[1][0] - names[0][0]) * (panel.strip.getViewBox().height()
                                                   / len(panel._blocks)) if len(names) > 1 else 1e9
            assert apart >= QFontMetrics(axis.font()).height(), (scale, apart)  # none over another
    finally:
        w.set_font_scale(1.0)


def test_a_capped_title_keeps_its_lines_and_its_whole_text(qtbot) -> None:
    from advgui.ui.widgets.capped_label import CappedLabel

    text = "Grad-CAM at mixed_10 of 'ocarina', step 10 — " * 4
    label = CappedLabel(text, 2)
    qtbot.addWidget(label)
    label.resize(160, 200)
    label.show()  # a hidden label is resized only when shown
    shown = QLabel.text(label).split("\n")
    metrics = label.fontMetrics()
    assert len(shown) == 2 and shown[-1].endswith("…")
    assert all(metrics.horizontalAdvance(line) <= 160 for line in shown)
    assert label.text() == text and label.toolTip() == text
    assert label.heightForWidth(160) == 2 * metrics.lineSpacing()
    label.setText("Photo")
    assert QLabel.text(label) == "Photo" and label.toolTip() == ""


def _text_rows(widget) -> int:
    """The rows of text drawn on the widget (runs of pixel rows with dark ink)."""
    from PySide6.QtGui import QImage

    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), :3]
    ink = (pixels.min(axis=2) < 128).any(axis=1)
    return int(ink[0]) + int((ink[1:] & ~ink[:-1]).sum())


def test_a_capped_title_line_as_wide_as_the_label_is_not_wrapped_again(qtbot) -> None:
    """Seen at 1024 x 768 after presentation mode: 'Adversarial, step 2 of' was exactly as wide
    as its 128 px title, QLabel wrapped it once more and the title, two lines high, showed a
    third line cut in half at its top and bottom."""
    from advgui.ui.widgets.capped_label import CappedLabel

    label = CappedLabel("Adversarial, step 2 of 10", 3)
    qtbot.addWidget(label)
    label.setStyleSheet("background: white; color: black")
    first = label.fontMetrics().horizontalAdvance("Adversarial, step 2 of")
    label.show()
    for width in (first - 1, first, first + 1, first + 2):
        label.resize(width, 80)
        qtbot.waitUntil(lambda: label.width() == width, timeout=2000)
        shown = QLabel.text(label).split("\n")
        assert _text_rows(label) == len(shown), (width, shown)
        assert label.heightForWidth(width) == len(shown) * label.fontMetrics().lineSpacing()



def _names_outside_the_strip(panel) -> list[tuple[str, float, float]]:
    """The block names on the strip's axis that its widget's edges cut: (name, top, bottom) of
    each, in the widget's pixels, a name as high as its font's line."""
    from PySide6.QtCore import QPointF

    axis = panel.strip.getAxis("left")
    half = QFontMetrics(axis.style.get("tickFont") or axis.font()).height() / 2
    box = panel.strip.getViewBox()
    cut = []
    for y, name in axis._tickLevels[0]:
        centre = panel.strip.mapFromScene(box.mapViewToScene(QPointF(0, y))).y()
        if centre - half < 0 or centre + half > panel.strip.height():
            cut.append((name, centre - half, centre + half))
    return cut


def _all_whole(panel, case) -> None:
    cut = _names_outside_the_strip(panel)
    assert not cut, (case, panel.strip.height(), cut)


def test_every_block_name_on_the_strip_is_whole(make_window, tiny_model, image_folder,
                                                qtbot) -> None:
    """Seen at 1024 x 768 in presentation mode: the first block's name, centred half a row under
    the plot's top, had its upper half cut by the strip's top edge."""
    w = make_window(str(tiny_model))
    shown_at(w, qtbot)
    attacked_on_explain(w, qtbot, image_folder)
    qtbot.waitUntil(lambda: _computed_everything(w), timeout=60_000)
    panel = w.explain
    own = panel._blocks
    try:
        for size in ((1024, 768), (1920, 1050)):
            for scale in (1.0, 1.5):
                for blocks in (own, tuple(f"mixed_{i}" for i in range(18))):  # InceptionV3's 18
                    w.resize(*size)
                    w.set_font_scale(scale)
                    qtbot.waitUntil(lambda: w.width() == size[0], timeout=2000)
                    panel._divergence.clear()
                    panel._blocks = blocks
                    panel._draw_strip()
                    shown = [name for _, name in panel.strip.getAxis("left")._tickLevels[0]]
                    assert shown[0] == blocks[0]  # the first block is always named
                    qtbot.waitUntil(lambda: _all_whole(panel, (size, scale, len(blocks))),
                                    timeout=2000)
    finally:
        w.set_font_scale(1.0)
