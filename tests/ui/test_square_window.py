"""Issue 27 in the window: Square Attack is a method of the panel; it runs on a model whose
gradient graph cannot be built (the gradient methods stay refused there), and its probabilities
arrive step by step as its queries go, kept for playback."""

from __future__ import annotations

import numpy as np
import onnx

from tests.helpers.models import no_gradient_model
from tests.helpers.window import open_folder, settled


def test_square_runs_in_the_window_on_a_model_without_gradient_rules(
        make_window, image_folder, tmp_path, qtbot) -> None:
    model = tmp_path / "sines.onnx"
    onnx.save(no_gradient_model(), model)
    w = make_window(str(model))
    open_folder(w, qtbot, image_folder)
    panel = w.attack_panel
    qtbot.waitUntil(lambda: not panel.unavailable.isHidden(), timeout=60_000)
    assert not panel.run.isEnabled()  # the default, iterative, needs the gradient
    panel.method.setCurrentIndex(panel.method.findData("square"))
    assert "Square" in panel.method.currentText() and panel.run.isEnabled()
    assert not panel.steps.isEnabled()  # its budget is queries, not steps
    panel.target.setCurrentIndex(panel.target.findData("inverse"))
    w.select_image(str(sorted(image_folder.glob("*.png"))[0]))
    steps = []
    w.engine.attackStep.connect(lambda s: steps.append((s.step, s.total)))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=60_000):
        panel.run.click()
    settled(w, qtbot)
    # 1,000 queries: a record every 20, fewer if the top-1 changed sooner
    assert steps and all(total == 50 for _, total in steps)
    assert [s for s, _ in steps] == list(range(1, len(steps) + 1))
    assert len(w.state.attack.steps) == len(steps)
    out = w.outcome
    assert np.abs(out.adversarial_pixels.astype(int) - out.clean_pixels.astype(int)).max() <= 8
    panel.method.setCurrentIndex(panel.method.findData("fast"))
    assert not panel.run.isEnabled()


def test_the_query_budget_is_chosen_in_the_panel(make_window, image_folder, tmp_path, qtbot) -> None:
    """Queries is enabled for Square Attack only, and its budget is the one the attack runs:
    30 queries give at most 30 step records (one a query), never the default 1,000's 50."""
    model = tmp_path / "sines.onnx"
    onnx.save(no_gradient_model(), model)
    w = make_window(str(model))
    open_folder(w, qtbot, image_folder)
    panel = w.attack_panel
    assert not panel.queries.isEnabled()  # the default method has no query budget
    panel.method.setCurrentIndex(panel.method.findData("square"))
    assert panel.queries.isEnabled() and panel.queries.value() == 1000
    panel.queries.setValue(30)
    panel.target.setCurrentIndex(panel.target.findData("inverse"))
    w.select_image(str(sorted(image_folder.glob("*.png"))[0]))
    totals = []
    w.engine.attackStep.connect(lambda s: totals.append(s.total))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=60_000):
        panel.run.click()
    settled(w, qtbot)
    assert totals and set(totals) == {30}
    # The caption counts queries, not the records' steps ("Step 31 of 50" read as 50 steps).
    assert w.caption.text().startswith("Query ") and "of 30 (random squares" in w.caption.text()
