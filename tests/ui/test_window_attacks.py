"""Attacks run from the window update the charts, stop on cancel or close, and say why they fail."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.helpers.window import open_folder, settled, until_cancelled


def test_fast_and_iterative_attacks_update_charts(make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000001_sample1.png"))
    steps = []
    w.engine.attackStep.connect(lambda s: steps.append(s.step))
    w.attack_panel.method.setCurrentIndex(w.attack_panel.method.findData("fast"))
    w.attack_panel.eps.setValue(10)
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        qtbot.mouseClick(w.attack_panel.run, Qt.MouseButton.LeftButton)
    settled(w, qtbot)
    assert steps == [1]
    fast = w.outcome
    assert np.abs(fast.adversarial_pixels.astype(int) - fast.clean_pixels.astype(int)).max() <= 10
    steps.clear()
    w.attack_panel.method.setCurrentIndex(w.attack_panel.method.findData("iterative"))
    w.attack_panel.target.setCurrentIndex(w.attack_panel.target.findData("inverse"))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    assert steps == list(range(1, 13))  # Kurakin: min(10 + 4, 12.5) = 12
    assert len(w.charts.clean_curve.getData()[0]) == 13 == len(w.state.attack.steps) + 1
    assert w.attack_panel.run.isEnabled() and not w.attack_panel.cancel.isEnabled()
    assert "L∞" in w.inspect.perturbation.title.text()


def _start_long_attack(window, qtbot, folder, after_steps: int) -> list[int]:
    """Open the folder and start a 5,000-step attack; return once a few steps arrived."""
    open_folder(window, qtbot, folder)
    window.select_image(str(folder / "n00000000_sample0.png"))
    window.attack_panel.kurakin.setChecked(False)
    window.attack_panel.steps.setValue(5000)
    steps: list[int] = []
    window.engine.attackStep.connect(lambda s: steps.append(s.step))
    window.attack_panel.run.click()
    qtbot.waitUntil(lambda: len(steps) >= after_steps, timeout=30_000)
    return steps


def test_cancel_mid_attack(make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    steps = _start_long_attack(w, qtbot, image_folder, 3)
    until_cancelled(w, qtbot, w.attack_panel.cancel.click)
    settled(w, qtbot)
    assert len(steps) < 5000
    assert w.attack_panel.run.isEnabled()


def test_close_during_attack_joins_threads(make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    _start_long_attack(w, qtbot, image_folder, 2)
    w.close()
    assert not w.engine.running and not w.thumbs.running


@pytest.mark.slow
def test_real_inception_attack_once(make_window, qtbot, tmp_path) -> None:
    from advgui.zoo.sources import Shared, default_shared

    shared = Shared(default_shared())
    if not shared.root.exists():
        pytest.skip("../shared not present")
    w = make_window("inception_v3")
    image = shared.samples()[0]
    w.open_paths([str(image)])
    qtbot.waitUntil(lambda: len(w.verdicts) == 1, timeout=60_000)
    w.attack_panel.method.setCurrentIndex(w.attack_panel.method.findData("fast"))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=120_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    assert w.outcome.adversarial_probabilities.shape == (1000,)


def test_switching_model_mid_attack_cancels_it(make_window, tiny_model, image_folder, qtbot,
                                               tmp_path) -> None:
    """The result would belong to the old model, and the engine would otherwise load the new
    one only after the attack's 5,000th step."""
    import onnx

    from tests.helpers.models import tiny_classifier_model

    other = tmp_path / "other.onnx"
    onnx.save(tiny_classifier_model(seed=7), other)
    w = make_window(str(tiny_model))
    steps = _start_long_attack(w, qtbot, image_folder, 2)
    until_cancelled(w, qtbot, lambda: w.switch_model(str(other)))
    qtbot.waitUntil(lambda: w.info.name == "other" and len(w.verdicts) == 6, timeout=30_000)
    assert w.info.name == "other" and len(steps) < 5000
    assert not w.attacking and w.attack_panel.run.isEnabled()


def test_attack_on_a_vanished_file_says_which_and_why(make_window, tiny_model, image_folder,
                                                      qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()))
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    path = image_folder / "n00000001_sample1.png"
    w.select_image(str(path))
    path.unlink()  # deleted by another program after it was classified
    with qtbot.waitSignal(w.engine.attackFailed, timeout=10_000):
        w.attack_panel.run.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == ["n00000001_sample1.png: file not found (broken link?)"]
    assert w.statusBar().full_message().startswith("Attack failed: n00000001_sample1.png")
    assert not w.attacking and w.attack_panel.run.isEnabled()


def test_fast_steps_do_not_queue_up_behind_the_charts(make_window, tiny_model, image_folder,
                                                      qtbot) -> None:
    """The tiny model makes a step in under a millisecond, faster than a redraw (about 3 ms):
    the window must draw the latest step, not every step in turn."""
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000000_sample0.png"))
    w.attack_panel.kurakin.setChecked(False)
    w.attack_panel.steps.setValue(2000)
    shown = []
    w.stepShown.connect(lambda step, _t: shown.append(step.step))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=60_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    assert len(w.charts.clean_curve.getData()[0]) == 2001  # every step is in the trajectory
    assert 0 < len(shown) < 500 and shown == sorted(shown)
