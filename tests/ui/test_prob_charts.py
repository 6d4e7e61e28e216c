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
