"""Batch run: the seed's study on a folder with progress, ETA, cancel, resume and the summary.
The window's File › Batch Run, which decides which dialog to show, is batch_launch.py."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QProgressBar, QPushButton, QSpinBox, QSplitter,
                               QTableWidget, QTabWidget, QVBoxLayout, QWidget)

from advgui.core.attacks.params import parse_eps_list, split_list
from advgui.core.model.classifier import Classifier
from advgui.core.study.engine import StudyConfig, StudyOutcome, StudyProgress
from advgui.core.records.folder import check_out_folder, is_study_folder
from advgui.core.tiers import Tier, TierThresholds
from advgui.core.attacks import METHODS
from advgui.ui.dialogs.batch_choices import BatchChoices
from advgui.ui.dialogs.open_path import open_path
from advgui.ui.dialogs.batch_results import BatchResults
from advgui.ui.dialogs.study_eta import StudyClock, earlier_rate
from advgui.ui.workers.study import StudyRun
from advgui.core.wording import count_noun
from advgui.ui.widgets.plot_widget import plot_widget



def _path_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    w = QWidget()
    row = QHBoxLayout(w)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(button)
    return w


def default_output(folder: Path) -> Path:
    """A new study folder outside the images folder, so its PNGs are never listed as photos."""
    base = Path.home() / "advgui-studies"
    folder = folder.resolve()
    name = (folder.parent.name if folder.name == "images" else folder.name) or "study"
    out, n = base / name, 2
    while out.exists() and not is_study_folder(out):
        out, n = base / f"{name}-{n}", n + 1
    return out


class BatchDialog(BatchChoices, BatchResults, QDialog):
    """Not modal: a study runs in the background while the window is used; closing the dialog
    mid-run asks whether to keep it running (progress stays in the status bar) or stop it."""

    studyFinished = Signal(object)  # StudyOutcome, after the summary is shown
    progressText = Signal(str)  # one line for the main window's status bar ("" when idle)

    def __init__(self, classifier: Classifier, folder: str, thresholds: TierThresholds,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch run — tier study")
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen else None  # a 1024x768 projector too
        self.resize(min(940, room.width() - 40) if room else 940,
                    min(780, room.height() - 60) if room else 780)
        self.classifier, self.thresholds = classifier, thresholds
        self.folder = QLineEdit(folder)
        self.out = QLineEdit(str(default_output(Path(folder))) if folder else "")
        # The output follows a typed or browsed images folder until the user picks one himself
        # (an output that is not the last one proposed).
        self._proposed_out = self.out.text()
        self.folder.textChanged.connect(self._follow_folder)
        browse_in, browse_out = QPushButton("Browse…"), QPushButton("Browse…")
        browse_in.clicked.connect(lambda: self._browse(self.folder))
        browse_out.clicked.connect(lambda: self._browse(self.out))
        self.per_tier = QSpinBox()
        self.per_tier.setRange(0, 100_000)
        self.per_tier.setSpecialValueText("all")
        self.per_tier.setValue(100)
        # The registry's order, which is also advgui-cli's: the same choice runs the same jobs in
        # the same order, so the window's study folder equals the command line's row for row.
        self.methods = {m: QCheckBox(m) for m in METHODS}
        self.targets = {t: QCheckBox(t) for t in ("least-likely", "inverse", "least-likely-top5",
                                                   "true")}
        for key in ("iterative", "fast"):
            self.methods[key].setChecked(True)
        for key in ("least-likely", "inverse"):
            self.targets[key].setChecked(True)
        self.eps = QLineEdit("8")
        self.eps.setToolTip("eps values in pixel levels 0-255, separated by spaces or commas: "
                            "8, or 4 8 16, or 4, 8, 16")
        self.tiers = QComboBox()
        self.tiers.addItem(f"Fixed: high ≥ {100 * thresholds.high_min:g} %, medium ≥ "
                           f"{100 * thresholds.medium_min:g} % (the tier panel's)", "fixed")
        self.tiers.addItem("Equal thirds by confidence rank (thresholds reported)", "quantile")
        form = QFormLayout()
        form.addRow("Images folder", _path_row(self.folder, browse_in))
        form.addRow("Output folder", _path_row(self.out, browse_out))
        # Short fields share a row, so the results keep the height (a 1024x768 screen too).
        self.eps.setMaximumWidth(160)
        form.addRow("Images per tier", self._row([self.per_tier, QLabel("  ε (pixel levels)"),
                                                  self.eps, QLabel("  Tiers"), self.tiers]))
        form.addRow("Methods", self._row(self.methods.values()))
        form.addRow("Targets", self._row(self.targets.values()))
        self.transfer = QLineEdit()
        self.transfer.setPlaceholderText("e.g. efficientnet_lite0 (model names or .onnx paths)")
        self.transfer.setToolTip("Score every 8-bit adversarial with these models too "
                                 "(transfer.csv, transfer_summary.csv)")
        self.destroy = QLineEdit()
        self.destroy.setPlaceholderText("e.g. jpeg:75 jpeg:50 blur:1 brightness:+30 contrast:0.8")
        self.destroy.setToolTip("Kurakin's destruction rate of each transformation "
                                "(destroy.csv, destroy_summary.csv)")
        form.addRow("Transfer to", self._row([self.transfer, QLabel("  Destroy by"),
                                              self.destroy], stretch=False))
        # What a running study was started with: locked while it runs, or a folder typed
        # mid-run stood beside another folder's progress, and an output typed mid-run was where
        # the finished run's figures, Open CSV and "Batch finished: … in" looked.
        self._choices = [self.folder, self.out, browse_in, browse_out, self.per_tier, self.eps,
                         self.tiers, *self.methods.values(), *self.targets.values(),
                         self.transfer, self.destroy]
        self.bar = QProgressBar()
        self.status = QLabel("Ready. An output folder that holds an earlier run is resumed.")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.plot = plot_widget(title="Top-1 error by tier")
        self.plot.getAxis("bottom").setTicks([list(enumerate(t.value for t in Tier))])
        self.plot.setXRange(-0.3, len(Tier) - 0.7)
        self.plot.setMinimumHeight(240)
        self.figures = QTabWidget()
        self.figures.addTab(self.plot, "Error by tier")
        self.fragility = self._figure_tab(
            "Confidence vs fragility", "After a run: flip rate and eps-to-flip by confidence "
            "decile, with Spearman's correlation (fragility.png in the output folder).")
        self.error_eps = self._figure_tab(
            "Error vs ε", "After a run with two or more ε values: top-1 and top-5 error against "
            "ε, per tier (error_vs_eps.png in the output folder).")
        self.start = QPushButton("Start")
        self.cancel = QPushButton("Cancel run")
        self.cancel.setEnabled(False)
        self.open_csv = QPushButton("Open CSV")
        self.open_dir = QPushButton("Open folder")
        for b in (self.open_csv, self.open_dir):
            b.setEnabled(False)
        self.start.clicked.connect(self._start)
        self.cancel.clicked.connect(self._cancel)
        self.open_csv.clicked.connect(lambda: self._open(Path(self.out.text()) / "summary.csv"))
        self.open_dir.clicked.connect(lambda: self._open(Path(self.out.text())))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        actions = QHBoxLayout()
        for b in (self.start, self.cancel, self.open_csv, self.open_dir):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        # The table and the figures share what the form leaves; the user moves the line
        # between them (at 1024x768 the table's tier rows all show).
        self.results = QSplitter(Qt.Orientation.Vertical)
        self.results.addWidget(self.table)
        self.results.addWidget(self.figures)
        self.results.setStretchFactor(0, 3)
        self.results.setStretchFactor(1, 2)
        self.results.setChildrenCollapsible(False)
        self.plot.setMinimumHeight(120)
        layout.addWidget(self.results, 1)
        layout.addLayout(actions)
        self._run: StudyRun | None = None  # set while a study runs
        self._clock: StudyClock | None = None
        self._rows_read = (0.0, -1, 0.0)  # (when images.csv was read, its size, next wait)
        self._tick = QTimer(self)  # the elapsed time and time left count each second
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._show_clock)
        self._tiers = ""  # the last progress event's images by tier
        self.unseen_result = False  # finished while hidden: File › Batch Run shows it again

    @staticmethod
    def _row(boxes, stretch: bool = True) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        for b in boxes:
            row.addWidget(b, 0 if stretch or isinstance(b, QLabel) else 1)
        if stretch:
            row.addStretch(1)
        return w

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        QTimer.singleShot(0, self.fit_table)  # once the layout has sized the splitter

    def _browse(self, edit: QLineEdit) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder", edit.text())
        if path:
            edit.setText(path)

    def _follow_folder(self, text: str) -> None:
        if self.out.text() != self._proposed_out or not text.strip() or self.running:
            return  # the user's own output folder stays
        self._proposed_out = str(default_output(Path(text.strip())))
        self.out.setText(self._proposed_out)

    def config(self) -> StudyConfig:
        folder, out = Path(self.folder.text()), Path(self.out.text())
        if not folder.is_dir():
            raise ValueError(f"images folder not found: {folder}")
        if not self.out.text().strip():
            raise ValueError("choose an output folder")
        eps = parse_eps_list(self.eps.text())
        methods = tuple(m for m, b in self.methods.items() if b.isChecked())
        targets = tuple(t for t, b in self.targets.items() if b.isChecked())
        if not (eps and methods and targets):
            raise ValueError("choose at least one method, one target and one eps")
        cfg = StudyConfig(folder=folder, out=out, per_tier=self.per_tier.value() or None,
                          methods=methods, targets=targets, eps=tuple(eps),
                          thresholds=self.thresholds, tiers=self.tiers.currentData(),
                          transfer_to=tuple(split_list(self.transfer.text())),
                          destroy=tuple(split_list(self.destroy.text())))
        cfg.attacks()  # validates eps with the valid range in the message
        return cfg

    def _start(self) -> None:
        try:
            cfg = self.config()
            check_out_folder(cfg.out)  # the study itself writes nothing before it holds the lock
        except (ValueError, OSError) as exc:
            QMessageBox.warning(self, "Cannot start the study", str(exc))
            return
        self._run = StudyRun(self.classifier, cfg, self)
        self._run.progress.connect(self._progress)
        self._run.finished.connect(self._finished)
        self._run.failed.connect(self._failed)
        self._clock = StudyClock(cfg, time.monotonic(), earlier_rate(cfg.out))
        self._rows_read = (0.0, -1, 0.0)
        # A new run shows nothing of the last one until it has results of its own.
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.plot.clear()
        self.fragility.clear()
        self.fragility.setText("Running…")
        self.error_eps.clear()
        self.error_eps.setText("Running…")
        self.start.setEnabled(False)
        self.cancel.setEnabled(True)
        for w in self._choices:
            w.setEnabled(False)
        for b in (self.open_csv, self.open_dir):  # the last run's: they would open the new
            b.setEnabled(False)                   # output, which has no summary.csv yet
        self.bar.setRange(0, 0)  # busy until the first count arrives
        self.remember_choices()
        self._run.start()
        self._tick.start()
        self._show_clock()

    def _cancel(self) -> None:
        if self._run:
            self._run.cancel()
            self.status.setText("Cancelling after the current batch; every finished row is kept.")

    def _progress(self, ev: StudyProgress) -> None:
        self.bar.setRange(0, max(ev.total, 1))
        self.bar.setValue(ev.done)
        self.bar.setFormat(f"{ev.phase} %v/%m (%p %)")
        if self._clock is not None:
            self._clock.update(ev, time.monotonic())
        self._tiers = ", ".join(f"{k} {v}" for k, v in ev.tier_counts.items())
        self._show_clock()
        if ev.phase == "attack" and (ev.new or ev.done):  # a resumed study's rows at once
            self._show_rows_so_far()

    def _show_clock(self) -> None:
        if self._clock is None or not self.running:
            return
        line = self._clock.line(time.monotonic())
        if self._run.cancelling:  # what the user asked for stays in view while the batch ends
            line = "Cancelling after the current batch; every finished row is kept. " + line
        self.status.setText(line + (f" — images by tier: {self._tiers}" if self._tiers else ""))
        self.progressText.emit("Batch: " + self._clock.short(time.monotonic()))

    def _run_over(self) -> None:
        """Its outcome or failure has come: the study's job ends right after it."""
        self._run = None
        self._tick.stop()
        self.bar.setRange(0, max(self.bar.maximum(), 1))
        self.start.setEnabled(True)
        self.cancel.setEnabled(False)
        for w in self._choices:
            w.setEnabled(True)

    def _failed(self, message: str) -> None:
        self._run_over()
        self.progressText.emit("")
        self.status.setText("Stopped: " + message.split("\n")[0])
        box = QMessageBox(QMessageBox.Icon.Warning, "Study failed", message.split("\n\n")[0], parent=self)
        if "\n\n" in message:
            box.setDetailedText(message)
        box.exec()

    def _finished(self, outcome: StudyOutcome) -> None:
        self._run_over()
        self.progressText.emit("Batch cancelled: run it again to resume." if outcome.cancelled
                               else f"Batch finished: {count_noun(outcome.rows, 'row')} in {self.out.text()}")
        state = "Cancelled — run again to resume." if outcome.cancelled else "Finished."
        skipped = (f" {count_noun(len(outcome.skipped), 'unreadable file')} skipped."
                   if outcome.skipped else "")
        resumed = (f" ({outcome.rows - outcome.new_rows} from earlier runs)"
                   if outcome.rows > outcome.new_rows else "")
        notes = "".join(f" Note: {n}." for n in outcome.notes)
        self.status.setText(f"{state} {outcome.new_rows} new rows in {outcome.seconds:.0f} s, "
                            f"{outcome.rows} in all{resumed}.{skipped}{notes}")
        self.show_summary(outcome.summary)
        self.show_fragility(Path(self.out.text()) / "fragility.png", outcome.fragility)
        self.show_figure(self.error_eps, Path(self.out.text()) / "error_vs_eps.png",
                         "No error-vs-ε figure: the study has one ε.")
        for b in (self.open_csv, self.open_dir):
            b.setEnabled(True)
        # A run that ended unseen is shown again by Ctrl+B; one the user stopped on closing was
        # seen to stop, and Ctrl+B starts afresh (with the same choices, resuming its rows).
        self.unseen_result = not self.isVisible() and not outcome.cancelled
        self.studyFinished.emit(outcome)

    def _open(self, path: Path) -> None:
        open_path(self, path, "folder" if path.is_dir() else "file")

    @property
    def running(self) -> bool:
        return self._run is not None

    def done(self, result: int) -> None:
        """Close: mid-run, ask whether to keep the study running in the background or stop it;
        either way the window is never blocked waiting for it."""
        if not self.running:
            super().done(result)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "A study is running",
                          "Keep it running in the background (progress in the status bar; "
                          "when it ends, the status bar offers to open the study, and File › "
                          "Batch Run shows this dialog again), or stop it? Every finished row "
                          "is kept, and running it again resumes.", parent=self)
        keep = box.addButton("Keep running", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("Stop the study", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.exec()
        if box.clickedButton() is stop:
            self._cancel()
            self.hide()
        elif box.clickedButton() is keep:
            self.hide()

    def release_for_close(self, wait_ms: int = 30000) -> bool:
        """The window is closing: stop a running study (asking first) and let its job end."""
        if not self.running:
            return True
        answer = QMessageBox.question(self.parentWidget(), "A study is running",
                                      "Stop the study and quit? Every finished row is kept, "
                                      "and running it again resumes.")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self._run.cancel()
        self._run.wait(wait_ms / 1000)
        return True
