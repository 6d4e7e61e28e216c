"""Inspect names the step shown, keeps its layout, never overlaps its texts, refills its panes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel

from tests.helpers.inverse_attack import LONG, _inverse_record
from tests.helpers.window import shown_at


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
