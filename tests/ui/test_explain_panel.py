"""The Explain tab: the maps of the step shown, titled with what they are, and the divergence
strip growing with the steps, live and in playback."""

from __future__ import annotations

import numpy as np

from tests.helpers.window import open_folder, settled


def _strip_colours(w) -> np.ndarray:
    return w.explain.strip_image.image


def _computed_everything(w) -> bool:
    record = w.state.shown
    return (record is not None and record.finished and w.explain._job is not None
            and w.explain._job.done and not w.explain._again
            and w.explain._asked(record) is None)


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
