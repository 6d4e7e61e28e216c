"""File › Save Charts: the caption over the saved figure names the attack as it is. A Square
Attack's figure said "square gradient sign", of the one method that uses no gradient."""

from __future__ import annotations

from advgui.ui.export import charts_caption
from tests.helpers.window import attacked_with


def test_a_square_attacks_saved_charts_say_gradient_free_and_its_queries(
        make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    attacked_with(w, qtbot, image_folder, "square", queries=40)
    caption = charts_caption(w)
    assert "gradient sign" not in caption, caption
    assert "Square Attack (gradient-free)" in caption and "40 queries" in caption, caption
