"""Inspection: original, adversarial and amplified perturbation side by side with zoom and pan
in sync, a blink toggle, the perturbation histogram and the 8-bit adversarial top-5."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget)

from advgui.core.app_state.attack_record import AttackRecord
from advgui.core.app_state.perturbation import PerturbationView, perturbation_view
from advgui.ui.widgets.plot_widget import plot_widget


class ImagePane(pg.GraphicsLayoutWidget):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.viewbox = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.viewbox.addItem(self.item)
        # Wrapped, so that a long title (the perturbation's gain and L-inf) never widens its
        # column and shrinks the images beside it.
        self.title = QLabel(title)
        self.title.setWordWrap(True)
        self._shape: tuple | None = None

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """The image fills its pane again after a resize: with the aspect locked the view only
        ever widened, so after presentation mode or a narrow tab the photos stayed icons."""
        super().resizeEvent(event)
        if getattr(self, "_shape", None) is not None:  # (a first resize comes in __init__)
            self.viewbox.autoRange(padding=0)

    def show(self, pixels: np.ndarray | None) -> None:  # type: ignore[override]
        if pixels is None:
            self.item.clear()
            self._shape = None
        else:
            self.item.setImage(pixels, levels=(0, 255))
            if pixels.shape != self._shape:  # a new image is fitted; a new step keeps the zoom
                self._shape = pixels.shape
                self.viewbox.autoRange(padding=0)


class InspectPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.original = ImagePane("Original")
        self.adversarial = ImagePane("Adversarial (8-bit)")
        self.perturbation = ImagePane("Perturbation")
        for pane in (self.adversarial, self.perturbation):
            pane.viewbox.setXLink(self.original.viewbox)
            pane.viewbox.setYLink(self.original.viewbox)
        # Short title (it is cut at 1024 px otherwise); the unit goes on the axis.
        # The title on the axis and no count axis: at a projector's text size the title, the
        # counts' ticks and the levels' axis left the bars a few pixels, ticks run together.
        self.histogram = plot_widget()
        self.histogram.setLabel("bottom", "perturbation histogram, pixel levels")
        self.histogram.hideAxis("left")
        self.blink = QCheckBox("Blink original / adversarial")
        self.blink.toggled.connect(self._toggle_blink)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self._blink_once)
        self._showing_adv = True
        self._clean: np.ndarray | None = None
        self._adv: np.ndarray | None = None
        grid = QGridLayout()
        for col, pane in enumerate((self.original, self.adversarial, self.perturbation)):
            grid.addWidget(pane.title, 0, col)
            grid.addWidget(pane, 1, col)
            grid.setColumnStretch(col, 1)  # three images of one size, whatever their titles
        from advgui.ui.widgets.second_opinion import SecondOpinion  # noqa: PLC0415

        self.second = SecondOpinion()
        # The second model under the histogram, the top-5 beside them: stacked in one column
        # they needed more than the room left at 1024 x 768 in presentation mode, and the
        # second model's row was drawn over the top-5's last lines.
        bottom = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.histogram)
        left.addWidget(self.second)
        left.addStretch(1)
        bottom.addLayout(left, 2)
        side = QVBoxLayout()
        side.addWidget(self.blink)
        side.addWidget(self.verdict, 1)
        bottom.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid, 3)
        layout.addLayout(bottom, 1)
        self._fit_text()

    def event(self, event) -> bool:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange) and \
                hasattr(self, "second"):
            self._fit_text()
        return super().event(event)

    def _fit_text(self) -> None:
        """Fixed room for the texts that change while scrubbing (titles of one or two lines,
        a top-5 of seven, a second model's verdict): the images must not jump."""
        line = QFontMetrics(self.font()).lineSpacing()
        for pane in (self.original, self.adversarial, self.perturbation):
            pane.title.setFixedHeight(2 * line + 4)
        # The histogram over the second model's row about as high as the top-5 beside them
        # (fixed: the images above must not move when its plot first lays out).
        self.histogram.setFixedHeight(max(80, 4 * line))
        # a heading of one line, five classes and the flip: seven lines
        self.verdict.setFixedHeight(7 * line + 6)
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.second.text.setWordWrap(True)
        self.second.text.setFixedHeight(5 * line + 6)  # its verdict whole at x2
        self.second.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

    def show_clean(self, pixels: np.ndarray) -> None:
        self._clean, self._adv = pixels, None
        self.adversarial.title.setText("Adversarial (8-bit)")
        self.original.show(pixels)
        self.adversarial.show(None)
        self.perturbation.show(None)
        self.perturbation.title.setText("Perturbation")
        self.histogram.clear()
        self.verdict.setText("")

    def clear(self, message: str = "") -> None:
        """Nothing to inspect: no result belongs to the selected image."""
        self._clean, self._adv = None, None
        for pane in (self.original, self.adversarial, self.perturbation):
            pane.show(None)
        self.adversarial.title.setText("Adversarial (8-bit)")
        self.perturbation.title.setText("Perturbation")
        self.histogram.clear()
        self.verdict.setText(message)

    def render(self, record: AttackRecord, index: int | None, names: tuple[str, ...]) -> None:
        """The record at a playback position: the image at that step, its perturbation, its
        top-5 (of the 8-bit image once the attack is finished and the last step is shown)."""
        clean = record.start.clean_pixels
        k = record.clamp(index)
        if k == 0:
            self.show_clean(clean)
            self.verdict.setText("Step 0: the clean image.")
            return
        adv = record.pixels_at(k)
        probs = record.probabilities_at(k)
        top = np.argsort(-probs)[:5]
        lines = "<br>".join(f"{names[i] if i < len(names) else i}: {100 * probs[i]:.2f} %"
                            for i in top)
        last = record.finished and k == len(record.steps)
        if last:
            flip = record.outcome.first_flip_step
            # One line at x2 in presentation (two cut the flip line under the seven lines' room).
            head = "Top-5 as saved (8-bit)"
            tail = f"top-1 flipped at step {flip}" if flip > 0 else "top-1 did not change"
        else:
            head, tail = f"Step {k} of {record.total}: top-5", ""
        self.show_result(clean, adv, perturbation_view(clean, adv),
                         f"<b>{head}</b><br>{lines}" + (f"<br>{tail}" if tail else ""))
        # The step shown, always (it said 'step 8' at step 10 after scrubbing back and forth).
        self.adversarial.title.setText(f"Adversarial, step {k} (8-bit)" if last
                                       else f"Adversarial, step {k}")

    def show_result(self, clean: np.ndarray, adv: np.ndarray, view: PerturbationView,
                    top5_text: str) -> None:
        self._clean, self._adv = clean, adv
        self.original.show(clean)
        self.adversarial.show(adv)
        self.perturbation.show(view.amplified)
        # Two short lines at most: a third ("grey = unchanged") was cut at 1024 x 768; it is
        # the tooltip.
        self.perturbation.title.setText(f"Perturbation ×{view.factor:.1f}, L∞ {view.linf}")
        self.perturbation.title.setToolTip(
            f"The change, amplified ×{view.factor:.1f} around grey (grey = unchanged); its "
            f"largest is {view.linf} of 255 levels")
        self.histogram.clear()
        self.histogram.addItem(pg.BarGraphItem(x=view.levels, height=view.counts, width=0.8,
                                               brush="#d0473c"))
        self.verdict.setText(top5_text)

    def _toggle_blink(self, on: bool) -> None:
        if on:
            self._timer.start()
        else:
            self._timer.stop()
            self._showing_adv = True
            self.adversarial.title.setText("Adversarial (8-bit)")
            if self._adv is not None:  # the same view: unticking keeps the zoom and pan
                self.adversarial.item.setImage(self._adv, levels=(0, 255))

    def _blink_once(self) -> None:
        if self._adv is None or self._clean is None:
            return
        self._showing_adv = not self._showing_adv
        self.adversarial.item.setImage(self._adv if self._showing_adv else self._clean,
                                       levels=(0, 255))
        self.adversarial.title.setText("Adversarial (8-bit)" if self._showing_adv
                                       else "Original (blink)")
