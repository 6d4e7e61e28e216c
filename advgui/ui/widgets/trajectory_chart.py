"""The trajectory: the probability of every class that matters (the clean top-1, the target,
each class that took the lead) against the attack's step, one coloured line each, and its key
(a label under it, never over its curves: it wraps and grows with the text like every label)."""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel

from advgui.core.analysis import palette
from advgui.ui.widgets.plot_widget import own_options_menu

CLEAN, TARGET = palette.CLEAN, palette.TARGET
# The classes that took the lead get a line each, in colours apart from grey, red and blue.
LEADER_COLOURS = ("#e08a00", "#2e9d5b", "#8e44ad", "#c2185b", "#00838f", "#6d4c41", "#7cb342")


class TrajectoryChart(pg.PlotWidget):
    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        own_options_menu(self)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.getAxis("bottom").setLabel("step")
        self.clean_curve = self.plot([], [], pen=pg.mkPen(CLEAN, width=2), symbol="o", symbolSize=5)
        self.target_curve = self.plot([], [], pen=pg.mkPen(TARGET, width=2), symbol="o",
                                      symbolSize=5)
        self.leader_curves: list[pg.PlotDataItem] = []
        self.key = QLabel()
        self.key.setWordWrap(True)
        self.last_step = 10  # the axis spans the whole attack: scrubbing back keeps it

    def fit_height(self, font: QFont) -> None:
        """Never squashed to a strip (it was about 40 px at 1024 x 768): room for its step axis
        and a readable rise from 0 to 100 %, at any text size."""
        self.setMinimumHeight(7 * QFontMetrics(font).height())

    def fit_axes(self, metrics: QFontMetrics) -> None:
        """Its step axis holds ticks and a label, its left one "100 %": both follow the text."""
        self.getAxis("bottom").setHeight(2 * metrics.height() + 12)
        self.getAxis("left").setWidth(metrics.horizontalAdvance("100 %") + 14)

    def rescale(self, log: bool, top: float, floor: float) -> None:
        """0 to 100 %, or on the log scale 1 down to `floor`."""
        self.setYRange(-0.04 * top, top * 1.1, padding=0)  # the "100 %" tick whole
        axis = self.getAxis("left")
        if log:
            low = int(np.log10(floor))
            axis.setTicks([[(e - low, f"1e{e}" if e else "1") for e in range(low, 1, 2)]])
        else:
            axis.setTicks([[(v, f"{100 * v:.0f} %") for v in (0, 0.5, 1.0)]])

    def draw(self, steps: list, values: dict[int, list[float]], lines: list[int], target: int,
             label: Callable[[int], str], y: Callable[[list[float]], np.ndarray]) -> None:
        """`lines`: the clean top-1 first, then the target and the leaders, in the key's order;
        `values` their probability at each of `steps`; `y` the scale's transform."""
        others = [c for c in lines[1:] if c != target]
        while len(self.leader_curves) < len(others):
            self.leader_curves.append(self.plot([], [], symbol="o", symbolSize=4))
        self.clean_curve.setData(steps, y(values[lines[0]]) if steps and lines else [])
        target_on = steps and target in values and target != (lines[0] if lines else -1)
        self.target_curve.setData(steps, y(values[target]) if target_on else [])
        for j, curve in enumerate(self.leader_curves):
            if j < len(others) and steps:
                colour = _colour(others[j], lines.index(others[j]), target)
                curve.setPen(pg.mkPen(colour, width=2))
                curve.setSymbolBrush(colour)
                curve.setSymbolPen(colour)
                curve.setData(steps, y(values[others[j]]))
            else:
                curve.setData([], [])
        keys = []
        for i, c in enumerate(lines):
            name = html.escape(label(c)).replace(" ", "&nbsp;")
            role = " (clean)" if i == 0 else ""  # the others: the target ◎ and the leaders
            colour = _colour(c, i, target)
            keys.append(f"<span style='color:{colour}'>━━</span>&nbsp;{name}{role}")
        self.key.setText(" &nbsp; ".join(keys))
        whole = max(1, int(np.ceil(self.last_step / 10)))  # whole steps: no 0.5 ticks
        self.getAxis("bottom").setTickSpacing(whole, whole)
        self.setXRange(0, self.last_step, padding=0.04)

    def empty(self) -> None:
        """Whole steps from 0 to 10 until an attack draws its own (not pyqtgraph's 0.1 ... 0.9)."""
        self.last_step = 10
        self.setXRange(0, 10, padding=0.02)
        self.getAxis("bottom").setTickSpacing(1, 1)


def _colour(c: int, i: int, target: int) -> str:
    if i == 0:
        return CLEAN
    if c == target:
        return TARGET
    return LEADER_COLOURS[(i - 1) % len(LEADER_COLOURS)]
