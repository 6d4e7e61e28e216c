"""Live probability charts: clean top-k beside the same classes on the current adversarial
image (horizontal bars, the class names whole on their axis), and under them the trajectory of
every class that matters against the step (advgui.ui.widgets.trajectory_chart)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QImage, QTransform
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt.utils import QSignalThrottler

from advgui.core.analysis import palette
from advgui.core.app_state.attack_record import AttackRecord
from advgui.ui.widgets.chart_picture import charts_picture
from advgui.ui.widgets.trajectory_chart import TrajectoryChart
from advgui.ui.widgets.plot_widget import plot_widget

TOP_K = 5
LOG_FLOOR = 1e-6  # the log scale's bottom: smaller probabilities are drawn at the floor
CLEAN, ADV = palette.CLEAN, palette.ADVERSARIAL
# Drawing both charts takes about 3 ms; steps can come faster than that (a small model, a GPU),
# and would then queue up behind the window. Steps closer together than this share one redraw;
# every step still goes into the trajectory.
MIN_REDRAW_SECONDS = 0.03
# A class name takes at most this share of the bar chart's width before it wraps onto a second
# line (whole words; never cut: the name is the most important text on a slide).
NAME_SHARE = 0.42

LABEL_CHARS = 16


def short_name(name: str, chars: int = LABEL_CHARS) -> str:
    """A class name cut to ``chars`` ending in '…' (at a word if it can); for tight places
    other than the charts, which show names whole."""
    if len(name) <= chars:
        return name
    cut = name[:chars - 1]
    if " " in cut:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip(" ,") + "…"


def wrap_name(name: str, metrics: QFontMetrics, room: float) -> str:
    """The whole name, on as many lines as it needs to fit ``room`` pixels (at its spaces)."""
    lines: list[str] = []
    for word in name.split(" "):
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


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
        # No titles: the legend line and the key say what each chart shows, and at 1024 x 768
        # with larger text every line of height is wanted by the bars.
        self.bars = plot_widget()
        self.bars.setMouseEnabled(False, False)
        self.bars.hideButtons()
        self.bars.getViewBox().invertY(True)  # the clean top-1 on top
        self.trajectory = TrajectoryChart()
        self.clean_curve = self.trajectory.clean_curve
        self.target_curve = self.trajectory.target_curve
        self.leader_curves = self.trajectory.leader_curves
        self.key = self.trajectory.key
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
        # The bars beside the photos; the trajectory and its key under both, the whole width
        # (at 1024 x 768 with larger text the key wrapped onto four lines in a narrow column).
        self.plots = QVBoxLayout()
        self.plots.setContentsMargins(0, 0, 0, 0)
        self.plots.addWidget(self.bars, 1)
        self.plots.addLayout(under)
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.addLayout(self.plots, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.row, 5)
        layout.addWidget(self.trajectory, 2)
        layout.addWidget(self.key)
        self._fit_trajectory()
        self.side: QWidget | None = None  # the photo pair, once added beside the bars
        self.classes: tuple[str, ...] = ()
        self._shown: list[int] = []
        self._lines: list[int] = []  # the classes the trajectory draws, in the key's order
        self._target = -1
        self._towards = True
        self._heights: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
        self._offered: tuple[list[int], set[int], tuple[np.ndarray, np.ndarray]] = (
            [], set(), self._heights)
        self._curves: tuple[list, dict[int, list]] = ([], {})
        # Bars drawn upright (x = row, height = probability) and turned on their side by
        # swapping x and y: rows run down the chart and the names sit on the left axis.
        self.clean_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=CLEAN)
        self.adv_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=ADV)
        for item in (self.clean_bars, self.adv_bars):
            item.setTransform(QTransform(0, 1, 1, 0, 0, 0))
            self.bars.addItem(item)
        self.trajectory.empty()
        self._rescale()

    def add_beside(self, side: QWidget, headline: QWidget) -> None:
        """The photo pair on the left of the charts and its headline over both (the slide)."""
        self.side = side
        self.layout().insertWidget(0, headline)
        self.row.insertWidget(0, side, 2)
        self.row.setStretch(1, 5)

    # -- what is shown --------------------------------------------------------------------------
    def show_clean(self, classes: tuple[str, ...], top: tuple[int, ...],
                   probabilities: tuple[float, ...]) -> None:
        """A selected image before any attack: its clean top-k alone, an empty trajectory."""
        self._drop_pending()
        self.classes, self._target = classes, -1
        self._offer(list(top[:TOP_K]), set(top[:1]),
                    (np.asarray(probabilities[:TOP_K], float), np.zeros(0)))
        self._curves = ([], {})
        self._lines = []
        self.legend.setText("Grey: the model's clean top-5." if self._shown else "")
        self.trajectory.empty()
        self._draw()

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
        # Every class that led up to the shown step has a bar and a line, however many: the
        # winner of an inverse attack is often none of the clean top-5 (issue 24: 'quill').
        # A finished attack keeps one set of bars for its whole playback, so that scrubbing
        # moves no row; a running one adds each new leader as it takes over.
        leaders = record.leaders(None if record.finished else index)
        for c in [start.target] + leaders:
            if 0 <= c and c not in shown:
                shown.append(c)
        now = record.probabilities_at(index)
        self._offer(shown, {shown[0], start.target, *leaders}, (clean[shown], now[shown]))
        lines = [shown[0]] + [c for c in [start.target] + leaders if c != shown[0]]
        self._lines = list(dict.fromkeys(c for c in lines if c >= 0))
        steps, _, _ = record.trajectory(index, shown[0], shown[0])
        k = record.clamp(index)
        probs = [clean] + [s.probabilities for s in record.steps[:k]]
        self._curves = (steps, {c: [float(p[c]) for p in probs] for c in self._lines})
        # The axis spans the whole attack: scrubbing back keeps it, the curve stops early.
        self.trajectory.last_step = max(record.total, len(record.steps), 1)
        way = "pushed up (towards it)" if start.towards else "pushed down (away from it)"
        saved = " (8-bit, as saved)" if record.finished and k == len(record.steps) else ""
        self.legend.setText(f"Grey: clean · red: step {k} of {record.total}{saved} · "
                            f"◎ the target, {way}")
        self._draw()
        self.drawn.emit(k)

    def _drop_pending(self) -> None:
        self._redraw.cancel()
        self._pending = None

    def _fit_trajectory(self, font: QFont | None = None) -> None:
        self.trajectory.fit_height(font or self.font())
        for plot in (self.bars, self.trajectory):
            for name in ("bottom", "left"):
                plot.getAxis(name).setStyle(hideOverlappingLabels=False)

    def set_font_scale(self, point_size: float) -> None:
        """Tick labels, axis labels and titles at ``point_size`` (presentation mode)."""
        font = QFont()
        font.setPointSizeF(point_size)
        for plot in (self.bars, self.trajectory):
            for name in ("bottom", "left"):
                axis = plot.getAxis(name)
                axis.setTickFont(font)
                axis.label.setFont(font)
                # The end ticks ("0 %", "100 %", the last step) drawn even where they reach
                # past the axis: pyqtgraph hid them.
                axis.setStyle(tickTextOffset=max(3, int(point_size / 3)),
                              hideOverlappingLabels=False)
        # The bottom axes hold their ticks and label: their height follows the text.
        metrics = QFontMetrics(font)
        self.bars.getAxis("bottom").setHeight(metrics.height() + 12)
        self.trajectory.fit_axes(metrics)
        self._fit_trajectory(font)
        self._draw()

    # -- drawing ---------------------------------------------------------------------------------
    def _y(self, p: np.ndarray) -> np.ndarray:
        if self.log_scale.isChecked():
            return np.log10(np.maximum(np.asarray(p, float), LOG_FLOOR)) - np.log10(LOG_FLOOR)
        return np.asarray(p, float)

    def _rescale(self) -> None:
        log = self.log_scale.isChecked()
        top = -np.log10(LOG_FLOOR) if log else 1.0
        self.bars.setXRange(-0.02 * top, top * 1.16, padding=0)  # room for "0 %" and "100 %"
        axis = self.bars.getAxis("bottom")
        if log:
            floor = int(np.log10(LOG_FLOOR))
            axis.setTicks([[(e - floor, f"1e{e}" if e else "1") for e in range(floor, 1, 2)]])
        else:
            axis.setTicks([[(v, f"{100 * v:.0f} %") for v in (0, 0.5, 1.0)]])
        self.trajectory.rescale(log, top, LOG_FLOOR)
        self._draw()

    def tick_font(self) -> QFont:
        return self.bars.getAxis("left").style.get("tickFont") or self.font()

    def name_labels(self) -> list[str]:
        """The bar chart's class labels as drawn (whole names, wrapped at spaces)."""
        metrics = QFontMetrics(self.tick_font())
        room = max(NAME_SHARE * self.bars.width(), metrics.horizontalAdvance("M" * 8))
        return [wrap_name(self._label(c), metrics, room) for c in self._shown]

    def _offer(self, classes: list[int], must: set[int],
               heights: tuple[np.ndarray, np.ndarray]) -> None:
        """The classes that may have a bar; those in ``must`` always get one, the rest of the
        clean top-k only while rows of a readable height are left (a projector at 1024 x 768
        with larger text: the names must neither shrink nor overlap)."""
        self._offered = (classes, must, heights)
        self._fit_rows()

    def _fit_rows(self) -> None:
        classes, must, (clean, adv) = self._offered
        keep = len(classes)
        if self.isVisible() and classes:
            metrics = QFontMetrics(self.tick_font())
            room = max(NAME_SHARE * self.bars.width(), metrics.horizontalAdvance("M" * 8))
            lines = max(wrap_name(self._label(c), metrics, room).count("\n") + 1 for c in classes)
            pitch = 1.15 * lines * metrics.lineSpacing()
            height = self.bars.getViewBox().height() or self.bars.height() - 40
            keep = max(int(height / pitch), 1)
        chosen = [i for i, c in enumerate(classes) if c in must]
        for i, c in enumerate(classes):
            if len(chosen) >= keep:
                break
            if c not in must:
                chosen.append(i)
        chosen.sort()
        self._shown = [classes[i] for i in chosen]
        self._heights = (clean[chosen], adv[[i for i in chosen if i < len(adv)]])

    def _draw(self) -> None:
        self._fit_rows()
        shown = self._shown
        labels = self.name_labels()
        axis = self.bars.getAxis("left")
        axis.setTicks([list(enumerate(labels))])
        metrics = QFontMetrics(self.tick_font())
        widest = max((metrics.horizontalAdvance(line) for label in labels
                      for line in label.split("\n")), default=40)
        axis.setWidth(widest + 16)  # every name whole, whatever the font
        self.bars.setYRange(-0.6, max(len(shown), 1) - 0.4, padding=0)
        clean, adv = self._heights
        x = np.arange(len(shown))
        self.clean_bars.setOpts(x=x - 0.2, height=self._y(clean))
        self.adv_bars.setOpts(x=(x + 0.2)[:len(adv)], height=self._y(adv))
        self._draw_lines()

    def _draw_lines(self) -> None:
        steps, values = self._curves
        self.trajectory.draw(steps, values, self._lines, self._target, self._label, self._y)

    def _label(self, c: int) -> str:
        name = self.classes[c] if c < len(self.classes) else str(c)
        return f"{name} ◎" if c == self._target else name

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name): names rewrap at the new width
        super().resizeEvent(event)
        if self._offered[0]:  # once the plots inside have their new size too
            QTimer.singleShot(0, self, self._draw)

    # -- saving ----------------------------------------------------------------------------------
    def render_image(self, caption: str, scale: float = 2.0) -> QImage:
        """The photo pair with its headline and both charts at ``scale`` times their size on
        screen, under a caption naming the image, the model and the attack."""
        return charts_picture(self, caption, scale)
