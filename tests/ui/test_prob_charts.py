"""The charts render an attack record at a step: whole-step axes, throttled live redraws, the
inverse attack's winner, the log scale and the captioned 2x export."""

from __future__ import annotations

import numpy as np

from advgui.core.app_state.attack_record import AttackRecord, AttackRequest, AttackStart, AttackStep
from advgui.ui.widgets.prob_charts import ProbabilityCharts

CLASSES = tuple(f"class {i}" for i in range(10))


def _record(target: int = 7, towards: bool = True, total: int = 30) -> AttackRecord:
    clean = np.full(10, 0.05)
    clean[3] = 0.55
    start = AttackStart(AttackRequest("x.png", "iterative", "inverse", 8.0, 1.0, total), np.zeros(
        (4, 4, 3), np.uint8), clean, target, towards, total)
    return AttackRecord(start)


def _step(k: int, probs: np.ndarray, total: int = 30) -> AttackStep:
    return AttackStep(k, total, probs, 0.0, 0.001, 0.0, np.full((4, 4, 3), k, np.uint8), k)


def test_trajectory_axis_shows_whole_steps_and_grows_with_the_attack(qtbot) -> None:
    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    charts.show()
    charts.show_clean(CLASSES, (3, 1, 2, 0, 4), (0.6, 0.2, 0.1, 0.05, 0.05))
    low, high = charts.trajectory.getViewBox().viewRange()[0]
    assert low <= 0 and 10 <= high < 11  # 0 ... 10, not pyqtgraph's empty 0 ... 1
    record = _record()
    for step in range(1, 31):
        record.steps.append(_step(step, np.full(10, 0.1)))
        charts.render(CLASSES, record, None)
    qtbot.waitUntil(lambda: charts.trajectory.getViewBox().viewRange()[0][1] >= 30, timeout=5000)


def test_long_class_names_are_cut_visibly() -> None:
    from advgui.ui.widgets.prob_charts import short_name

    assert short_name("giant panda") == "giant panda"
    assert short_name("American black bear") == "American black…"
    assert short_name("Chesapeake Bay retriever") == "Chesapeake Bay…"
    assert short_name("loggerhead_turtle_long") == "loggerhead_turt…"  # no space: 15 + …


def test_steps_faster_than_a_redraw_share_one_and_none_is_lost(qtbot) -> None:
    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    drawn: list[int] = []
    charts.drawn.connect(drawn.append)
    record = _record(total=100)
    for step in range(1, 101):  # all within a few milliseconds
        record.steps.append(_step(step, np.full(10, step / 1000), 100))
        charts.render(CLASSES, record, None)
    assert drawn == [1]  # the first at once, the rest wait for the next redraw
    qtbot.waitUntil(lambda: drawn[-1] == 100, timeout=2000)
    assert drawn == [1, 100]
    assert len(charts.clean_curve.getData()[0]) == 101  # the trajectory keeps every step
    np.testing.assert_allclose(charts.adv_bars.opts["height"], 0.1)  # the last step's bars


def test_a_position_shows_that_step_and_the_classes_that_took_the_lead(qtbot) -> None:
    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    record = _record(target=3, towards=False, total=3)  # inverse: away from the clean top-1
    for k, winner in ((1, 3), (2, 9), (3, 9)):
        p = np.full(10, 0.02)
        p[winner] = 0.8
        record.steps.append(_step(k, p, 3))
    charts.render_now(CLASSES, record, 1)
    assert 9 not in charts._shown  # not yet leading at step 1
    assert len(charts.clean_curve.getData()[0]) == 2
    charts.render_now(CLASSES, record, 2)
    assert 9 in charts._shown  # the inverse attack's winner is plotted from when it leads
    i = charts._shown.index(9)
    assert charts.adv_bars.opts["height"][i] == 0.8
    assert "pushed down" in charts.legend.text() and "◎" in charts.legend.text()


def test_log_scale_shows_tiny_probabilities(qtbot) -> None:
    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    charts.show_clean(CLASSES, (3, 1), (0.9, 1e-5))
    charts.log_scale.setChecked(True)
    heights = charts.clean_bars.opts["height"]
    np.testing.assert_allclose(heights, [np.log10(0.9) + 6, 1.0])  # 1e-5 is one decade up
    charts.log_scale.setChecked(False)
    np.testing.assert_allclose(charts.clean_bars.opts["height"], [0.9, 1e-5])


def test_saved_charts_are_twice_the_size_and_captioned(qtbot) -> None:
    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    charts.resize(600, 500)
    charts.show()
    charts.show_clean(CLASSES, (3, 1), (0.9, 0.1))
    image = charts.render_image("photo.png · model tiny · fast", scale=2.0)
    assert image.width() >= 2 * charts.bars.width() - 2
    assert image.height() > 2 * (charts.bars.height() + charts.trajectory.height()) - 4


def test_a_step_drawn_now_is_on_screen_at_once_and_live_steps_after_it_still_wait(qtbot) -> None:
    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    drawn: list[int] = []
    charts.drawn.connect(drawn.append)
    record = _record(total=3)
    for k in (1, 2, 3):
        record.steps.append(_step(k, np.full(10, k / 100), 3))
    charts.render(CLASSES, record, 1)
    charts.render_now(CLASSES, record, 2)  # playback: drawn before it returns, though throttled
    assert drawn == [1, 2]
    charts.render(CLASSES, record, 3)
    assert drawn == [1, 2]
    qtbot.waitUntil(lambda: drawn == [1, 2, 3], timeout=2000)
    charts.render(CLASSES, record, 1)  # at once or at the interval's end
    charts.render(CLASSES, record, 2)  # due at the interval's end, but an image is selected first
    charts.show_clean(CLASSES, (3, 1), (0.9, 0.1))
    qtbot.wait(100)
    assert 2 not in drawn[3:] and charts.legend.text() == "Grey: the model's clean top-5."
