"""Live probability charts: clean top-k beside the same classes on the current adversarial
image, and the trajectory of the clean top-1 and the target against the step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt.utils import QSignalThrottler

from advgui.core.analysis import palette
from advgui.core.app_state.attack_record import AttackRecord

TOP_K = 5
MAX_BARS = 8  # the clean top-5, the target, and the classes that took the lead
LOG_FLOOR = 1e-6  # the log scale's bottom: smaller probabilities are drawn at the floor
CLEAN, ADV, TARGET = palette.CLEAN, palette.ADVERSARIAL, palette.TARGET
# Drawing both charts takes about 3 ms; steps can come faster than that (a small model, a GPU),
# and would then queue up behind the window. Steps closer together than this share one redraw;
# every step still goes into the trajectory.
MIN_REDRAW_SECONDS = 0.03


LABEL_CHARS = 16


def short_name(name: str, chars: int = LABEL_CHARS) -> str:
    """A class name that fits under its bar; a cut one ends in '…' (at a word if it can)."""
    if len(name) <= chars:
        return name
    cut = name[:chars - 1]
    if " " in cut:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip(" ,") + "…"


class ProbabilityCharts(QWidget):
    """Renders one attack record at one step (or an image's clean verdict); keeps no state of
    its own beyond what is on screen, so playback and live steps draw the same way."""

    drawn = Signal(int)  # the attack step now on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pending: tuple[tuple[str, ...], AttackRecord, int | None] | None = None
        # Leading: the first step after a quiet spell draws at once; steps within the next
        # MIN_REDRAW_SECONDS (counted from the end of that draw) share one redraw at its end.
        self._redraw = QSignalThrottler(QSignalThrottler.EmissionPolicy.Leading, self)
        self._redraw.setTimeout(int(1000 * MIN_REDRAW_SECONDS))
        self._redraw.triggered.connect(self._draw_pending)
        self.bars = pg.PlotWidget(title="Clean (grey) vs adversarial (red)")
        self.bars.setMouseEnabled(False, False)
        self.bars.getAxis("left").setLabel("probability")
        self.trajectory = pg.PlotWidget(title="Trajectory")
        self.trajectory.getAxis("bottom").setLabel("step")
        self.trajectory.addLegend(offset=(-10, 10))
        self.clean_curve = self.trajectory.plot([], [], pen=pg.mkPen(CLEAN, width=2),
                                                symbol="o", symbolSize=5, name="clean top-1")
        self.target_curve = self.trajectory.plot([], [], pen=pg.mkPen(TARGET, width=2),
                                                 symbol="o", symbolSize=5, name="target ◎")
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: gray")
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Shows probabilities down to 1e-6: a least-likely target starts "
                                  "far below what a linear axis can show")
        self.log_scale.toggled.connect(self._rescale)
        under = QHBoxLayout()
        under.addWidget(self.legend, 1)
        under.addWidget(self.log_scale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bars, 3)
        layout.addLayout(under)
        layout.addWidget(self.trajectory, 2)
        self.classes: tuple[str, ...] = ()
        self._shown: list[int] = []
        self._target = -1
        self._towards = True
        self._heights: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
        self._curves: tuple[list, list, list] = ([], [], [])
        self.clean_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=CLEAN)
        self.adv_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=ADV)
        self.bars.addItem(self.clean_bars)
        self.bars.addItem(self.adv_bars)
        self._empty_trajectory()
        self._rescale()

    # -- what is shown --------------------------------------------------------------------------
    def show_clean(self, classes: tuple[str, ...], top: tuple[int, ...],
                   probabilities: tuple[float, ...]) -> None:
        """A selected image before any attack: its clean top-k alone, an empty trajectory."""
        self._drop_pending()
        self.classes, self._target = classes, -1
        self._shown = list(top[:TOP_K])
        self._heights = (np.asarray(probabilities[:TOP_K], float), np.zeros(0))
        self._curves = ([], [], [])
        self.legend.setText("Grey: the model's clean top-5." if self._shown else "")
        self._draw()
        self._empty_trajectory()

    def clear(self) -> None:
        """No probabilities to show (an unreadable file is selected)."""
        self.show_clean(self.classes, (), ())

    def render(self, classes: tuple[str, ...], record: AttackRecord, index: int | None) -> None:
        """The record at a playback position (None: its latest step). Calls closer together than
        MIN_REDRAW_SECONDS share one redraw, so live steps never queue up behind the window."""
        self._pending = (classes, record, index)
        self._redraw.throttle()

    def render_now(self, classes: tuple[str, ...], record: AttackRecord, index: int | None) -> None:
        """Drawn before returning (playback, a finished attack); live steps right after it still
        wait out the interval: throttle() draws at once or marks a redraw due, flush() draws a
        due one now and restarts the interval."""
        self._pending = (classes, record, index)
        self._redraw.throttle()
        self._redraw.flush()

    def _draw_pending(self) -> None:
        if self._pending is None:
            return
        classes, record, index = self._pending
        self._drop_pending()
        start = record.start
        self.classes, self._target, self._towards = classes, start.target, start.towards
        clean = start.clean_probabilities
        shown = [int(i) for i in np.argsort(-clean)[:TOP_K]]
        for c in [start.target] + record.leaders(index):
            if c not in shown and len(shown) < MAX_BARS:
                shown.append(c)
        self._shown = shown
        now = record.probabilities_at(index)
        self._heights = (clean[shown], now[shown])
        self._curves = record.trajectory(index, shown[0], start.target)
        k = record.clamp(index)
        way = "pushed up (towards it)" if start.towards else "pushed down (away from it)"
        self.legend.setText(f"Grey: clean. Red: step {k} of {record.total}"
                            f"{' (8-bit, as saved)' if record.finished and k == len(record.steps) else ''}. "
                            f"◎ marks the attack's target, {way}.")
        self._draw()
        self.drawn.emit(k)

    def _drop_pending(self) -> None:
        self._redraw.cancel()
        self._pending = None

    def set_font_scale(self, point_size: float) -> None:
        """Tick labels, axis labels and titles at ``point_size`` (presentation mode)."""
        font = QFont()
        font.setPointSizeF(point_size)
        for plot in (self.bars, self.trajectory):
            for name in ("bottom", "left"):
                axis = plot.getAxis(name)
                axis.setTickFont(font)
                axis.label.setFont(font)
            plot.setTitle(plot.plotItem.titleLabel.text, size=f"{point_size * 1.2:.0f}pt")
        self._draw()

    # -- drawing ---------------------------------------------------------------------------------
    def _y(self, p: np.ndarray) -> np.ndarray:
        if self.log_scale.isChecked():
            return np.log10(np.maximum(np.asarray(p, float), LOG_FLOOR)) - np.log10(LOG_FLOOR)
        return np.asarray(p, float)

    def _rescale(self) -> None:
        log = self.log_scale.isChecked()
        top = -np.log10(LOG_FLOOR) if log else 1.0
        for plot in (self.bars, self.trajectory):
            plot.setYRange(0, top)
            axis = plot.getAxis("left")
            if log:
                floor = int(np.log10(LOG_FLOOR))
                axis.setTicks([[(e - floor, f"1e{e}" if e else "1") for e in range(floor, 1)]])
            else:
                axis.setTicks(None)
        self._draw()

    def _draw(self) -> None:
        shown = self._shown
        ticks = [(i, self._label(c)) for i, c in enumerate(shown)]
        self.bars.getAxis("bottom").setTicks([ticks])
        self.bars.setXRange(-0.6, max(len(shown), 1) - 0.4)
        clean, adv = self._heights
        x = np.arange(len(shown))
        self.clean_bars.setOpts(x=x - 0.2, height=self._y(clean))
        self.adv_bars.setOpts(x=(x + 0.2)[:len(adv)], height=self._y(adv))
        steps, top1, target = self._curves
        self.clean_curve.setData(steps, self._y(top1) if steps else [])
        self.target_curve.setData(steps, self._y(target) if steps else [])
        if steps:
            whole = max(1, int(np.ceil(max(steps) / 10)))  # whole steps: no 0.5 ticks
            self.trajectory.getAxis("bottom").setTickSpacing(whole, whole)
            self.trajectory.setXRange(0, max(max(steps), 1), padding=0.02)

    def _empty_trajectory(self) -> None:
        """Whole steps from 0 to 10 until an attack draws its own (not pyqtgraph's 0.1 ... 0.9)."""
        self.trajectory.setXRange(0, 10, padding=0.02)
        self.trajectory.getAxis("bottom").setTickSpacing(1, 1)

    def _label(self, c: int) -> str:
        """The class name cut until it fits under its bar at the chart's width and font (bar
        labels overlapped at 1024 pixels with a fixed 16 characters)."""
        name = self.classes[c] if c < len(self.classes) else str(c)
        mark = " ◎" if c == self._target else ""
        font = self.bars.getAxis("bottom").style.get("tickFont") or self.font()
        metrics = QFontMetrics(font)
        room = 0.92 * max(self.bars.width() - 70, 100) / max(len(self._shown), 1)
        for chars in range(LABEL_CHARS + 8, 3, -1):
            label = f"{short_name(name, chars)}{mark}"
            if metrics.horizontalAdvance(label) <= room:
                return label
        return f"{short_name(name, 4)}{mark}"

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name): labels fit the new width
        super().resizeEvent(event)
        if self._shown:
            self.bars.getAxis("bottom").setTicks(
                [[(i, self._label(c)) for i, c in enumerate(self._shown)]])

    # -- saving ----------------------------------------------------------------------------------
    def render_image(self, caption: str, scale: float = 2.0) -> QImage:
        """Both charts at ``scale`` times their size on screen, under a caption naming the image,
        the model and the attack (a figure that says what it shows)."""
        parts = []
        for plot in (self.bars, self.trajectory):
            exporter = pg.exporters.ImageExporter(plot.plotItem)
            exporter.parameters()["width"] = int(plot.width() * scale)
            parts.append(exporter.export(toBytes=True))
        font = QFont()
        font.setPointSizeF(11 * scale)
        width = max(p.width() for p in parts)
        caption = f"{caption}\n{self.legend.text()}" if self.legend.text() else caption
        text_rect = QFontMetrics(font).boundingRect(
            QRect(0, 0, width - int(16 * scale), 100_000), int(Qt.TextFlag.TextWordWrap), caption)
        band = text_rect.height() + int(12 * scale)
        image = QImage(width, band + sum(p.height() for p in parts), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setFont(font)
        painter.setPen(QColor("black"))
        painter.drawText(QRect(int(8 * scale), int(4 * scale), width - int(16 * scale),
                               band - int(8 * scale)), int(Qt.TextFlag.TextWordWrap), caption)
        y = band
        for p in parts:
            painter.drawImage(0, y, p)
            y += p.height()
        painter.end()
        return image
