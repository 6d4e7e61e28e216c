"""Explain: why the model is fooled, at the step shown (live and in playback).

Five images — the photo, the adversarial at the step shown, the input-gradient map and the
Grad-CAMs of the clean and the adversarial top-1 — in the grid (5, 3 + 2 or 2 + 2 + 1 across) that
shows them largest, and under them the layer-divergence strip, one row per block (input at the
top), one column per step, growing as the attack goes. Everything is
computed by one job at a time on the thread pool (workers/job.py), only while this tab is shown;
the GUI thread only puts finished arrays on screen.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from advgui.core.app_state.attack_record import AttackRecord
from advgui.core.app_state.window_state import WindowState
from advgui.core.explain import Explainer, ExplainMap
from advgui.core.explain.figure import _inferno, overlay
from advgui.core.explain.steps import StepsAsked, StepsExplained, explain_steps
from advgui.ui.widgets.capped_label import CappedLabel
from advgui.ui.widgets.inspect_panel import ImagePane
from advgui.ui.workers.job import Job
from advgui.ui.widgets.plot_widget import plot_widget

STRIP_TOP = 1.25  # relative L2 shown as the brightest colour (and above): one scale for all steps
STEPS_PER_JOB = 6  # divergences per job, so the maps of a newly shown step are never far behind
LABEL_PX = 13  # the least height a block name needs on the strip's axis
# The strip's least height: its step axis and about six block names (every n-th name beyond).
# The maps get the rest: five in one row were 51 px wide at 1024 x 768, too small for a lecture.
STRIP_MIN_PX = 120
TITLE_LINES, NOTE_LINES = 3, 3  # what the map titles and the note may take (whole in tooltips)
LAYOUTS = (5, 3, 2)  # maps a row: 5 in one row, 3 + 2, 2 + 2 + 1 (the first of equals wins)
UNKNOWN = np.array([60, 60, 60], np.uint8)  # a step not computed yet (or without a kept image)


class _Holder:
    """The explainer of the loaded classifier, built (seconds) inside the first job."""

    def __init__(self) -> None:
        self.explainer: Explainer | None = None


def _work(holder: _Holder, classifier, asked: StepsAsked):
    if holder.explainer is None or holder.explainer.classifier is not classifier:
        holder.explainer = Explainer(classifier)
        holder.explainer.prepare()
    done = explain_steps(holder.explainer, asked)
    overlays = None
    if done.frame is not None:  # the heat maps over their photos, here rather than on the GUI
        _, frame = done.frame
        adv = asked.maps_at[1]
        overlays = (overlay(adv, frame.gradient.values),
                    overlay(asked.clean, frame.cam_clean.values) if frame.cam_clean else None,
                    overlay(adv, frame.cam_adversarial.values) if frame.cam_adversarial else None)
    return done, overlays, holder.explainer.parts


def _title(m: ExplainMap | None, whose: str, names: tuple[str, ...]) -> str:
    if m is None:
        return f"Grad-CAM ({whose}): the model has no spatial feature map"
    name = names[m.class_index] if m.class_index < len(names) else m.class_name
    what = "|∂ logit / ∂ pixel|" if m.kind == "input gradient" else f"Grad-CAM at {m.layer}"
    return f"{what} of '{name}', {whose}"


class ExplainPanel(QWidget):
    sigComputed = Signal()  # a job's answer is on screen (tests wait for it)

    def __init__(self, state: WindowState, classifier: Callable[[], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self._classifier = state, classifier
        self.panes = [ImagePane(t) for t in ("Photo", "Adversarial", "Input gradient",
                                             "Grad-CAM, clean top-1", "Grad-CAM, adversarial top-1")]
        for pane in self.panes[1:]:
            pane.viewbox.setXLink(self.panes[0].viewbox)
            pane.viewbox.setYLink(self.panes[0].viewbox)
        for pane in self.panes:
            pane.ci.layout.setContentsMargins(0, 0, 0, 0)  # the photo fills its pane
            # Three lines at most (whole in the tooltip): at x2 they took five from the maps.
            pane.title = CappedLabel(pane.title.text(), TITLE_LINES)
        self.grid = QGridLayout()
        self.grid.setVerticalSpacing(2)
        self._columns = 0
        self.strip = plot_widget()
        self.strip.getViewBox().invertY(True)
        self.strip.setLabel("bottom", "step")
        self.strip_image = pg.ImageItem(axisOrder="row-major")
        self.strip.addItem(self.strip_image)
        self.cursor_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#2a9df4", width=2))
        self.strip.addItem(self.cursor_line)
        # Short, so that it leaves the maps their room; the formula is in its tooltip.
        self.strip_caption = QLabel(
            f"Layer divergence per block (input on top) and step: black 0, yellow ≥ {STRIP_TOP}, "
            "grey not computed yet")
        self.strip_caption.setToolTip(
            "Relative L2 ‖a_adv − a_clean‖ / ‖a_clean‖ of each block's activations (rows, the "
            "model's own names, input at the top) at each step (columns)")
        self.strip_caption.setWordWrap(True)
        self.note = CappedLabel("Run an attack to see why the model is fooled.", NOTE_LINES)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # The maps first (their grid is fitted in resizeEvent), the strip gets what is left and
        # at least STRIP_MIN_PX.
        layout.addLayout(self.grid)
        layout.addWidget(self.note)
        self.strip.setMinimumHeight(STRIP_MIN_PX)
        layout.addWidget(self.strip, 1)
        layout.addWidget(self.strip_caption)
        self._place(len(self.panes))
        self._holder = _Holder()
        self._job: Job | None = None
        self._failed_for: object = None
        self._no_maps_for: object = None  # a model without gradient rules: the strip only
        self._record: AttackRecord | None = None
        self._divergence: dict[int, np.ndarray] = {}
        self._blocks: tuple[str, ...] = ()
        self._maps_at: int | None = None
        for event in ("attack", "step", "cursor", "image", "model"):
            state.subscribe(event, self.refresh)

    # -- what is shown ---------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_maps()
        self._draw_strip()  # the names shown on the strip's axis depend on its height

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # Larger Text: the titles take more lines
            self._fit_maps()

    def _say(self, text: str) -> None:
        """The note over the strip; a longer one takes its lines from the maps."""
        self.note.setText(text)
        self._fit_maps()

    def _place(self, columns: int) -> None:
        """The panes in rows of `columns`, each under its title; the note in the last row's
        empty cells where there are some (3 + 2), else over the strip."""
        if columns == self._columns:
            return
        for widget in (*(p.title for p in self.panes), *self.panes, self.note):
            self.grid.removeWidget(widget)
            self.layout().removeWidget(widget)
        for i, pane in enumerate(self.panes):
            row, col = divmod(i, columns)
            self.grid.addWidget(pane.title, 2 * row, col)
            self.grid.addWidget(pane, 2 * row + 1, col)
        for col in range(len(self.panes)):
            self.grid.setColumnStretch(col, 1 if col < columns else 0)
        empty = -len(self.panes) % columns
        if empty:
            row, col = divmod(len(self.panes), columns)
            self.grid.addWidget(self.note, 2 * row, col, 2, empty, Qt.AlignmentFlag.AlignTop)
        else:
            self.layout().insertWidget(1, self.note)
            self.note.set_most_lines(NOTE_LINES)
        self._columns = columns

    def _map_side(self, columns: int, room: int) -> int:
        """The side of a square map in rows of `columns` within the width and `room` height."""
        spacing = self.grid.horizontalSpacing()
        width = (self.width() - (columns - 1) * max(spacing, 0)) // columns
        rows = -(-len(self.panes) // columns)
        titles = max(p.title.heightForWidth(width) for p in self.panes)
        return min(width, (room - rows * (titles + 2 * self.grid.verticalSpacing())) // rows)

    def _fit_maps(self) -> None:
        """Square panes (a photo is square), as large as the height left by the strip's least
        height, the note and the caption allows: in one row, or 3 + 2, or 2 + 2 + 1."""
        if self.layout() is None:  # a font change while being built
            return
        width = self.width()
        below = (STRIP_MIN_PX + self.strip_caption.heightForWidth(width)
                 + 4 * self.layout().spacing())
        over_strip = self.note.heightForWidth(width)  # the note where no cell is left for it

        def side(columns: int) -> int:
            in_grid = len(self.panes) % columns != 0
            return self._map_side(columns, self.height() - below - (0 if in_grid else over_strip))

        columns = max(LAYOUTS, key=side)
        best = max(48, side(columns))
        self._place(columns)
        for pane in self.panes:
            pane.setFixedHeight(best)
        if len(self.panes) % columns:  # in the empty cells: as many lines as beside a map
            title = max(p.title.heightForWidth(p.width()) for p in self.panes)
            line = self.note.fontMetrics().lineSpacing()
            self.note.set_most_lines(max(NOTE_LINES, (title + best) // line))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Put the photo and the step on screen and ask for what is missing (tab shown only)."""
        if not self.isVisibleTo(self.window()):  # another tab is shown: nothing to compute
            return
        record = self.state.shown
        if record is None:
            if self._record is not None:
                self._clear()
            return
        if record is not self._record:
            self._clear()
            self._record = record
            self.panes[0].show(record.start.clean_pixels)
        k = record.clamp(self.state.cursor)
        self.panes[1].show(record.pixels_at(k))
        self.panes[1].title.setText(f"Adversarial, step {k} of {record.total}" if k else
                                    "Step 0: the clean photo")
        self.cursor_line.setPos(k)
        self._ask()

    def _clear(self) -> None:
        self._record, self._maps_at = None, None
        self._divergence.clear()
        for pane in self.panes:
            pane.show(None)
        self.strip_image.clear()
        self._say("Run an attack to see why the model is fooled.")

    # -- the job -------------------------------------------------------------------------------
    def _asked(self, record: AttackRecord) -> StepsAsked | None:
        k = record.clamp(self.state.cursor)
        missing = [(i + 1, s.pixels) for i, s in enumerate(record.steps)
                   if s.pixels is not None and i + 1 not in self._divergence]
        if record.finished and len(record.steps) not in self._divergence:
            missing = [m for m in missing if m[0] != len(record.steps)]
            missing.append((len(record.steps), record.outcome.adversarial_pixels))
        no_maps = self._no_maps_for is not None and self._no_maps_for is self._classifier()
        maps = None if k == self._maps_at or no_maps else (k, record.pixels_at(k))
        if not missing and maps is None:
            return None
        # The newest steps first: live, the strip grows at its right end.
        return StepsAsked(record, record.start.clean_pixels,
                          tuple(sorted(missing, reverse=True)[:STEPS_PER_JOB]), maps)

    def _ask(self) -> None:
        if self._job is not None and not self._job.done:
            return  # its `finished` asks again (_ended), for whatever is still missing then
        classifier = self._classifier()
        if classifier is None or self._record is None or classifier is self._failed_for:
            return
        asked = self._asked(self._record)
        if asked is None:
            return
        if asked.maps_at is not None and self._maps_at is None:
            self._say("Computing the maps (the first time builds the model's "
                              "explanation graphs: a few seconds)…")
        self._job = Job(_work, self._holder, classifier, asked,
                        connect={"returned": self._answered, "errored": self._failed,
                                 "finished": self._ended})

    def _ended(self) -> None:
        """Next: what was asked meanwhile, or the steps left over from this job's share."""
        if self._failed_for is not self._classifier():
            self._ask()

    def _failed(self, exc: Exception) -> None:
        self._say(f"No explanation for this model: {exc}")
        self._failed_for = self._classifier()  # not asked again until another model is loaded

    def _answered(self, answer: tuple) -> None:
        done, overlays, parts = answer
        done: StepsExplained
        if done.key is not self._record:  # about an attack no longer shown
            return
        self._blocks = tuple(b.name for b in parts.blocks)
        for position, div in done.divergence.items():
            self._divergence[position] = div.relative_l2
        if done.problem:
            self._no_maps_for = self._classifier()  # not asked again for this model
            self._say(f"No maps for this model ({done.problem}); the divergence strip "
                              "needs no gradient and is shown.")
        if done.frame is not None:
            position, frame = done.frame
            self._maps_at = position
            self.panes[2].show(overlays[0])
            names = self.state.model.class_names if self.state.model else ()
            self.panes[2].title.setText(_title(frame.gradient, f"step {position}", names))
            for pane, image, m, whose in ((self.panes[3], overlays[1], frame.cam_clean, "photo"),
                                          (self.panes[4], overlays[2], frame.cam_adversarial,
                                           f"step {position}")):
                pane.show(image)
                pane.title.setText(_title(m, whose, names))
            last = frame.divergence
            self._say(
                f"Step {position}: last block '{last.blocks[-1]}' relative L2 "
                f"{last.relative_l2[-1]:.2f}, cosine {last.cosine[-1]:.2f}. Maps: input gradient "
                f"{frame.gradient.normalisation}; Grad-CAM "
                f"{frame.cam_clean.normalisation if frame.cam_clean else 'unavailable'}.")
        self._draw_strip()
        self.sigComputed.emit()

    def _draw_strip(self) -> None:
        record = self._record
        if record is None or not self._blocks:
            return
        columns = len(record.steps) + 1
        rgb = np.empty((len(self._blocks), columns, 3), np.uint8)
        rgb[:] = UNKNOWN
        rgb[:, 0] = _inferno()[0]  # step 0: the clean photo against itself
        lut = _inferno()
        for position, values in self._divergence.items():
            if 0 <= position < columns:
                level = np.nan_to_num(values / STRIP_TOP, nan=0.0)
                rgb[:, position] = lut[(np.clip(level, 0, 1) * 255).astype(np.int32)]
        self.strip_image.setImage(rgb)
        # Column p centred on step p, row i on block i (its name's tick at i + 0.5).
        self.strip_image.setRect(-0.5, 0, columns, len(self._blocks))
        # One name per row where the rows are tall enough to read, else every n-th name.
        row_px = max(1.0, self.strip.getViewBox().height() / max(1, len(self._blocks)))
        axis = self.strip.getAxis("left")
        # A name needs its font's height: at Larger Text 13 px let the names run over each other.
        name_px = max(LABEL_PX, QFontMetrics(axis.style.get("tickFont") or axis.font()).height())
        every = max(1, int(np.ceil(name_px / row_px)))
        axis.setTicks([[(i + 0.5, name) for i, name in enumerate(self._blocks)
                         if i % every == 0]])
        self._room_over_top_name(name_px)
        self.strip.getViewBox().setLimits(xMin=-0.5, xMax=columns - 0.5, yMin=0,
                                          yMax=len(self._blocks))
        self.strip.getViewBox().setRange(xRange=(-0.5, columns - 0.5),
                                         yRange=(0, len(self._blocks)), padding=0)

    def _room_over_top_name(self, name_px: int) -> None:
        """The first block's name is centred half a row under the plot's top: the part of it
        above that goes in the plot's top margin, else the widget's edge cuts it (in
        presentation mode at 1024 x 768 its upper half was gone). The margin is reckoned with
        the rows it leaves (it takes its height from them), so it is enough once laid out."""
        layout = self.strip.getPlotItem().layout
        left, top, right, bottom = layout.getContentsMargins()
        most = np.ceil(name_px / 2) + 1  # a name over a row of no height
        rows_px = self.strip.getViewBox().height() + top - most
        row_px = max(0.0, rows_px / max(1, len(self._blocks)))
        need = float(max(1, np.ceil((name_px - row_px) / 2) + 1))
        if need != top:
            layout.setContentsMargins(left, need, right, bottom)

    def stop(self) -> None:
        """Join the running job (the window is closing)."""
        if self._job is not None:
            self._job.wait(30)
