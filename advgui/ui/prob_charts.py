"""Live probability charts: clean top-k beside the same classes on the current adversarial
image, and the trajectory of the clean top-1 and the target against the step."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

TOP_K = 5
CLEAN, ADV, TARGET = "#7f8c99", "#d0473c", "#2060d0"
# Drawing both charts takes about 3 ms; steps can come faster than that (a small model, a GPU),
# and would then queue up behind the window. Steps closer together than this share one redraw;
# every step still goes into the trajectory.
MIN_REDRAW_SECONDS = 0.03


LABEL_CHARS = 16


def short_name(name: str) -> str:
    """A class name that fits under its bar; a cut one ends in '…' (at a word if it can)."""
    if len(name) <= LABEL_CHARS:
        return name
    cut = name[:LABEL_CHARS - 1]
    if " " in cut:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip(" ,") + "…"


class ProbabilityCharts(QWidget):
    drawn = Signal(int)  # the attack step now on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pending: tuple[int, np.ndarray] | None = None
        self._last_redraw = 0.0
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.timeout.connect(self._draw_pending)
        self.bars = pg.PlotWidget(title="Probabilities: clean (grey) vs adversarial (red)")
        self.bars.setYRange(0, 1)
        self.bars.setMouseEnabled(False, False)
        self.bars.getAxis("left").setLabel("probability")
        self.trajectory = pg.PlotWidget(title="Trajectory")
        self.trajectory.setYRange(0, 1)
        self.trajectory.getAxis("bottom").setLabel("step")
        self.trajectory.addLegend(offset=(-10, 10))
        self.clean_curve = self.trajectory.plot([], [], pen=pg.mkPen(CLEAN, width=2),
                                                symbol="o", symbolSize=5, name="clean top-1")
        self.target_curve = self.trajectory.plot([], [], pen=pg.mkPen(TARGET, width=2),
                                                 symbol="o", symbolSize=5, name="target")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bars, 3)
        layout.addWidget(self.trajectory, 2)
        self.classes: tuple[str, ...] = ()
        self._shown: list[int] = []
        self._empty_trajectory()
        self._clean = np.zeros(0)
        self._target = -1
        self._history: list[tuple[int, float, float]] = []
        self.clean_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=CLEAN)
        self.adv_bars = pg.BarGraphItem(x=[], height=[], width=0.38, brush=ADV)
        self.bars.addItem(self.clean_bars)
        self.bars.addItem(self.adv_bars)

    def start(self, classes: tuple[str, ...], clean: np.ndarray, target: int) -> None:
        """Fix the classes shown: the clean top-k plus the target."""
        self._drop_pending()
        self.classes, self._clean, self._target = classes, clean, target
        shown = [int(i) for i in np.argsort(-clean)[:TOP_K]]
        if target not in shown:
            shown.append(target)
        self._shown = shown
        self._history = [(0, float(clean[shown[0]]), float(clean[target]))]
        ticks = [(i, self._label(c)) for i, c in enumerate(shown)]
        self.bars.getAxis("bottom").setTicks([ticks])
        self.bars.setXRange(-0.6, len(shown) - 0.4)
        self.clean_bars.setOpts(x=np.arange(len(shown)) - 0.2, height=clean[shown])
        self.adv_bars.setOpts(x=np.arange(len(shown)) + 0.2, height=clean[shown])
        self._draw_trajectory()

    def show_clean(self, classes: tuple[str, ...], top: tuple[int, ...],
                   probabilities: tuple[float, ...]) -> None:
        """A selected image before any attack: its clean top-k alone, an empty trajectory."""
        self._drop_pending()
        self.classes, self._target = classes, -1
        self._shown, self._history = [], []
        shown = list(top[:TOP_K])
        self.bars.getAxis("bottom").setTicks([[(i, self._label(c)) for i, c in enumerate(shown)]])
        self.bars.setXRange(-0.6, len(shown) - 0.4)
        self.clean_bars.setOpts(x=np.arange(len(shown)) - 0.2,
                                height=np.asarray(probabilities[:TOP_K]))
        self.adv_bars.setOpts(x=[], height=[])
        self.clean_curve.setData([], [])
        self.target_curve.setData([], [])
        self._empty_trajectory()

    def clear(self) -> None:
        """No probabilities to show (an unreadable file is selected)."""
        self.show_clean(self.classes, (), ())

    def _empty_trajectory(self) -> None:
        """Whole steps from 0 to 10 until an attack draws its own (not pyqtgraph's 0.1 ... 0.9)."""
        self.trajectory.setXRange(0, 10, padding=0.02)
        self.trajectory.getAxis("bottom").setTickSpacing(1, 1)

    def _label(self, c: int) -> str:
        name = self.classes[c] if c < len(self.classes) else str(c)
        mark = " ◎" if c == self._target else ""
        return f"{short_name(name)}{mark}"

    def update_step(self, step: int, probs: np.ndarray) -> None:
        if not self._shown:
            return
        self._history.append((step, float(probs[self._shown[0]]), float(probs[self._target])))
        self._pending = (step, probs)
        wait = self._last_redraw + MIN_REDRAW_SECONDS - time.perf_counter()
        if wait <= 0:
            self._draw_pending()
        elif not self._redraw.isActive():
            self._redraw.start(int(1000 * wait) + 1)

    def _draw_pending(self) -> None:
        if self._pending is None or not self._shown:
            return
        step, probs = self._pending
        self._pending = None
        self.adv_bars.setOpts(x=np.arange(len(self._shown)) + 0.2, height=probs[self._shown])
        self._draw_trajectory()
        self._last_redraw = time.perf_counter()
        self.drawn.emit(step)

    def _drop_pending(self) -> None:
        self._redraw.stop()
        self._pending = None

    def finish(self, probs: np.ndarray) -> None:
        """Show the final (8-bit) probabilities, adding the adversarial top-1 if it is new."""
        self._drop_pending()
        self._draw_trajectory()
        top = int(np.argmax(probs))
        if top not in self._shown:
            self._shown.append(top)
            ticks = [(i, self._label(c)) for i, c in enumerate(self._shown)]
            self.bars.getAxis("bottom").setTicks([ticks])
            self.bars.setXRange(-0.6, len(self._shown) - 0.4)
            self.clean_bars.setOpts(x=np.arange(len(self._shown)) - 0.2,
                                    height=self._clean[self._shown])
        self.adv_bars.setOpts(x=np.arange(len(self._shown)) + 0.2, height=probs[self._shown])

    def _draw_trajectory(self) -> None:
        if not self._history:
            return
        steps, top1, target = zip(*self._history)
        self.clean_curve.setData(steps, top1)
        self.target_curve.setData(steps, target)
        whole = max(1, int(np.ceil(max(steps) / 10)))  # steps are whole numbers: no 0.5 ticks
        self.trajectory.getAxis("bottom").setTickSpacing(whole, whole)
        self.trajectory.enableAutoRange(axis="x")

    def save_png(self, path: str) -> None:
        pg.exporters.ImageExporter(self.bars.plotItem).export(path)
        stem = path[:-4] if path.lower().endswith(".png") else path
        pg.exporters.ImageExporter(self.trajectory.plotItem).export(stem + "-trajectory.png")
