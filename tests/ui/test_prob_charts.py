"""The trajectory's step axis: whole steps before an attack, and the whole attack after."""

from __future__ import annotations

import numpy as np

from advgui.ui.prob_charts import ProbabilityCharts


def test_trajectory_axis_shows_whole_steps_and_grows_with_the_attack(qtbot) -> None:
    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    charts.show()
    classes = tuple(f"class {i}" for i in range(10))
    charts.show_clean(classes, (3, 1, 2, 0, 4), (0.6, 0.2, 0.1, 0.05, 0.05))
    low, high = charts.trajectory.getViewBox().viewRange()[0]
    assert low <= 0 and 10 <= high < 11  # 0 ... 10, not pyqtgraph's empty 0 ... 1
    probs = np.full(10, 0.1)
    charts.start(classes, probs, target=7)
    for step in range(1, 31):
        charts.update_step(step, probs)
    qtbot.waitUntil(lambda: charts.trajectory.getViewBox().viewRange()[0][1] >= 30, timeout=5000)


def test_long_class_names_are_cut_visibly() -> None:
    from advgui.ui.prob_charts import short_name

    assert short_name("giant panda") == "giant panda"
    assert short_name("American black bear") == "American black…"
    assert short_name("Chesapeake Bay retriever") == "Chesapeake Bay…"
    assert short_name("loggerhead_turtle_long") == "loggerhead_turt…"  # no space: 15 + …


def test_steps_faster_than_a_redraw_share_one_and_none_is_lost(qtbot) -> None:
    charts = ProbabilityCharts()
    qtbot.addWidget(charts)
    drawn: list[int] = []
    charts.drawn.connect(drawn.append)
    classes = tuple(f"class {i}" for i in range(10))
    charts.start(classes, np.full(10, 0.1), target=7)
    for step in range(1, 101):  # all within a few milliseconds
        charts.update_step(step, np.full(10, step / 1000))
    assert drawn == [1]  # the first at once, the rest wait for the next redraw
    qtbot.waitUntil(lambda: drawn[-1] == 100, timeout=2000)
    assert drawn == [1, 100]
    assert len(charts._history) == 101  # the trajectory keeps every step
    np.testing.assert_allclose(charts.adv_bars.opts["height"], 0.1)  # the last step's bars
