"""Confidence-tier panel: the selected image's top-1 probability against editable thresholds,
and the folder's count per tier."""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (QDoubleSpinBox, QFormLayout, QGroupBox, QLabel,
                               QVBoxLayout, QWidget)

from advgui.core.tiers import Tier, TierThresholds
from advgui.ui.widgets.image_browser import TIER_COLOURS
from advgui.ui.widgets.plot_widget import plot_widget


class TierPanel(QGroupBox):
    thresholdsChanged = Signal(object)  # TierThresholds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Confidence tier", parent)
        self.high = self._spin(30.0)
        self.medium = self._spin(15.0)
        self.plot = plot_widget()
        self.plot.setFixedHeight(70)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideAxis("left")
        self.plot.setXRange(0, 100, padding=0.02)
        self.plot.setYRange(0, 1, padding=0)
        # Ticks say what the axis is: an axis label did not fit a 1024 x 768 window.
        self.plot.getAxis("bottom").setTicks([[(v, f"{v} %") for v in range(0, 101, 20)]])
        self.plot.setToolTip("The selected image's top-1 probability against the tier bands")
        self.bands = [pg.LinearRegionItem(movable=False) for _ in Tier]
        for band, tier in zip(self.bands, (Tier.LOW, Tier.MEDIUM, Tier.HIGH)):
            c = TIER_COLOURS[tier]
            band.setBrush(pg.mkBrush(c.red(), c.green(), c.blue(), 70))
            for line in band.lines:
                line.setPen(pg.mkPen(None))
            self.plot.addItem(band)
        self.marker = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#2060d0", width=3))
        self.plot.addItem(self.marker)
        self._shown: tuple[str, float, str] = ("", -1.0, "")
        self.verdict = QLabel("No image selected")
        self.verdict.setWordWrap(True)
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        form = QFormLayout()  # one row each: side by side they were cut in presentation mode
        form.addRow("High ≥", self.high)
        form.addRow("Medium ≥", self.medium)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.plot)
        layout.addLayout(form)
        layout.addWidget(self.counts)
        self._draw_bands()

    def set_font_scale(self, point_size: float) -> None:
        """The band's tick labels follow the text size (they kept the size they were drawn at)."""
        font = QFont()
        font.setPointSizeF(point_size * 0.9)
        self.plot.getAxis("bottom").setTickFont(font)
        self.plot.setFixedHeight(int(50 + 2.2 * point_size))

    def _spin(self, value: float) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setRange(0.5, 100.0)
        s.setDecimals(1)
        s.setSuffix(" %")
        s.setValue(value)
        s.setKeyboardTracking(False)  # "99.9" typed is one value, not 9, 99, 99.9 in turn
        s.valueChanged.connect(self._edited)
        return s

    def thresholds(self) -> TierThresholds:
        return TierThresholds(self.high.value() / 100, self.medium.value() / 100)

    def _edited(self) -> None:
        try:
            t = self.thresholds()
        except ValueError:
            self.verdict.setText("The medium threshold must be below the high one.")
            return
        self._draw_bands()
        self.thresholdsChanged.emit(t)

    def _draw_bands(self) -> None:
        hi, med = self.high.value(), self.medium.value()
        for band, (a, b) in zip(self.bands, ((0, med), (med, hi), (hi, 100))):
            band.setRegion((a, b))

    def show_image(self, name: str, confidence: float, top1: str) -> None:
        """The selected image's verdict: an empty name clears it, a negative confidence says
        `top1` as a note ("classifying…", why it cannot be read) with no marker."""
        self._shown = (name, confidence, top1)
        if not name:
            self.marker.setVisible(False)
            self.verdict.setText("No image selected")
            self.verdict.setToolTip("")
            return
        self.verdict.setToolTip(name)
        short = html.escape(self._fit(name))  # a long name would wrap over the verdict
        if confidence < 0:
            self.marker.setVisible(False)  # never the previous image's marker
            self.verdict.setText(f"<b>{short}</b>: {html.escape(top1 or 'not classified yet')}")
            return
        try:
            tier = self.thresholds().tier_of(confidence)
        except ValueError:
            return
        self.marker.setVisible(True)
        self.marker.setValue(100 * confidence)
        self.verdict.setText(f"<b>{short}</b>: {html.escape(top1)}, {100 * confidence:.1f} % — "
                             f"<b>{tier.value}</b> confidence")

    def _fit(self, name: str) -> str:
        """The name cut in its middle (its start and extension kept) to one line of the panel."""
        font = QFont(self.verdict.font())
        font.setBold(True)
        room = max(80, self.verdict.width() - 8)
        return QFontMetrics(font).elidedText(name, Qt.TextElideMode.ElideMiddle, room)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._shown[0]:
            self.show_image(*self._shown)

    def show_counts(self, counts: dict[str, int]) -> None:
        """The folder's verdicts per tier; nothing until the first one (never the counts of the
        folder or model before)."""
        if not any(counts.values()):
            self.counts.setText("")
            return
        parts = [f"{k}: {v}" for k, v in counts.items() if v or k != "unreadable"]
        self.counts.setText("Folder — " + ", ".join(parts))
