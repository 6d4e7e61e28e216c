"""View > Presentation, Larger Text and Smaller Text: one font scale (kept in the window's state
and remembered between runs), applied to the window's views and, from x1.5 on, to its columns
(advgui.ui.presentation holds the scaling and the layout; this wires them to the window)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QToolBar

from advgui.ui.presentation import (PRESENTATION_SCALE, PresentationLayout, apply_font_scale,
                                    next_font_scale)


class PresentationMode(QObject):
    def __init__(self, window, splitter, left, right) -> None:
        super().__init__(window)
        self.w = window
        self.layout = PresentationLayout(splitter, left, window.tiers, right,
                                         window.findChild(QToolBar, "model-toolbar"))

    def set_scale(self, scale: float) -> None:
        """Text and charts at `scale` times the size at start (1.5: presentation mode)."""
        w = self.w
        w.state.font_scale = scale
        self.layout.apply(scale >= PRESENTATION_SCALE)
        apply_font_scale(scale, w.charts, w.caption, w.browser, w.tiers)
        self.layout.fit_charts(w.charts, w.pair, scale)
        self.layout.fit_controls(w.attack_panel, w.tiers)
        self.layout.settle()
        action = w.presentation_action  # its check mark follows the scale, without a signal
        action.blockSignals(True)
        action.setChecked(scale == PRESENTATION_SCALE)
        action.blockSignals(False)
        w.state.tell(f"Text size ×{scale:g}", 3000, about=())

    def set_on(self, on: bool) -> None:
        self.set_scale(PRESENTATION_SCALE if on else 1.0)

    def step(self, direction: int) -> None:
        """The next larger (+1) or smaller (-1) scale."""
        scale = next_font_scale(self.w.state.font_scale, direction)
        if scale != self.w.state.font_scale:  # at the end of the scales: nothing to say
            self.set_scale(scale)
