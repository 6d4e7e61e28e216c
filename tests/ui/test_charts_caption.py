"""File › Save Charts: the caption over the saved figure names the attack as it is. A Square
Attack's figure said "square gradient sign", of the one method that uses no gradient."""

from __future__ import annotations

from PySide6.QtCore import Qt

from advgui.ui.export import charts_caption
from tests.helpers.window import open_folder, settled


def test_a_square_attacks_saved_charts_say_gradient_free_and_its_queries(
        make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    w.show()
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000001_sample1.png"))
    panel = w.attack_panel
    panel.method.setCurrentIndex(panel.method.findData("square"))
    panel.queries.setValue(40)
    with qtbot.waitSignal(w.engine.attackFinished, timeout=60_000):
        qtbot.mouseClick(panel.run, Qt.MouseButton.LeftButton)
    settled(w, qtbot)
    caption = charts_caption(w)
    assert "gradient sign" not in caption, caption
    assert "Square Attack (gradient-free)" in caption and "40 queries" in caption, caption
