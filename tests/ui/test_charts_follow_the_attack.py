"""Every class that led an inverse attack has a bar and a line; headline and caption follow it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.inverse_attack import LONG, _inverse_record


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


def test_caption_headline_bars_and_trajectory_agree_at_every_step_of_an_inverse_attack(
        make_window, tiny_model, image_folder, qtbot) -> None:
    """As a teacher does it: an inverse attack, then the slider through every step."""
    from tests.helpers.window import attacked_with

    w = make_window(str(tiny_model))
    attacked_with(w, qtbot, image_folder, "iterative", "inverse", eps=16)
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
