"""The main window: composes the views and routes requests to the engine worker."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QThread, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QMessageBox, QSizePolicy,
                               QSplitter, QTabWidget, QVBoxLayout, QWidget)

from advgui.core.attack_record import AttackRequest, AttackStep, caption
from advgui.core.images import IMAGE_SUFFIXES
from advgui.core.tiers import TierThresholds
from advgui.core.window_state import ModelInfo, Verdict, WindowState
from advgui.ui import persistence
from advgui.ui.attack_panel import AttackPanel
from advgui.ui.export import adversarial_qimage, save_adversarial_png, save_charts_png
from advgui.ui.folder_scan import FolderScan
from advgui.ui.ground_truth import FolderTruth, truth_or_explain
from advgui.ui.image_browser import ImageBrowser, ImageListModel
from advgui.ui.inspect_panel import InspectPanel
from advgui.ui.menus import build_menus
from advgui.ui.model_picker import ModelPicker
from advgui.ui.playback_bar import PlaybackBar
from advgui.ui.prob_charts import ProbabilityCharts
from advgui.ui.thumbnails import ThumbnailService
from advgui.ui.tier_panel import TierPanel
from advgui.ui.workers import EngineWorker

MIN_WIDTH, MIN_HEIGHT = 1000, 700  # fits a 1024 x 768 projector with its window frame
FIRST_SIZE = (1400, 860)


class MainWindow(QMainWindow):
    requestModel = Signal(str, str)
    requestClassify = Signal(int, list)
    requestAttack = Signal(object)
    stepShown = Signal(object, float)  # AttackStep, perf_counter when its chart update was done

    def __init__(self, model: str = "", device: str = "auto",
                 settings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("advgui")
        self.setAcceptDrops(True)
        self.settings = settings or QSettings()
        self.state = WindowState()
        self.folder = ""
        self.generation = 0
        self._requested = False  # an attack asked of the engine that has not started yet
        self.truth = FolderTruth()

        self.images = ImageListModel()
        self.browser = ImageBrowser(self.images)
        self.tiers = TierPanel()
        self.attack_panel = AttackPanel()
        self.charts = ProbabilityCharts()
        self.charts.drawn.connect(self._step_drawn)
        self.inspect = InspectPanel()
        self.playback = PlaybackBar()
        self.caption = QLabel("Select an image, then run an attack.")
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.browser, 1)
        lv.addWidget(self.tiers)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.charts, "Probabilities")
        self.tabs.addTab(self.inspect, "Inspect")
        self.tabs.currentChanged.connect(lambda _i: self._render_attack())
        middle = QWidget()
        mv = QVBoxLayout(middle)
        mv.setContentsMargins(0, 0, 0, 0)
        mv.addWidget(self.caption)
        mv.addWidget(self.tabs, 1)
        mv.addWidget(self.playback)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(self.attack_panel)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setStretchFactor(2, 1)
        split.setChildrenCollapsible(False)
        self.attack_panel.setMaximumWidth(420)
        left.setMinimumWidth(240)
        self.setCentralWidget(split)
        self.model_label, self.device_label, self.step_label = QLabel("loading model…"), QLabel(), QLabel()
        self.progress_label, self.batch_label = QLabel(), QLabel()
        for w in (self.batch_label, self.progress_label, self.model_label, self.device_label,
                  self.step_label):
            # Long texts are cut, never widen the window past a 1024-pixel screen.
            w.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            w.setMinimumWidth(40)
            self.statusBar().addPermanentWidget(w)
        self.batch_dialog = None

        self.thumbs = ThumbnailService(self)
        self.scan = FolderScan(self)
        self.scan.progress.connect(self._scan_progress)
        self.scan.finished.connect(self._scan_finished)
        self._scan_id = 0
        self._scan_files: list[str] = []
        # Direct: request() is thread-safe, and the thumbnail thread is busy in its own loop.
        self.images.thumbnailWanted.connect(self.thumbs.worker.request,
                                            Qt.ConnectionType.DirectConnection)
        self.thumbs.worker.ready.connect(self.images.set_thumbnail)
        self.engine = EngineWorker()
        self.engine_thread = QThread(self)
        self.engine_thread.setObjectName("engine")
        self.engine.moveToThread(self.engine_thread)
        self.requestModel.connect(self.engine.loadModel)
        self.requestClassify.connect(self.engine.classify)
        self.requestAttack.connect(self.engine.attack)
        self.engine.modelLoaded.connect(self._model_loaded)
        self.engine.modelFailed.connect(self._model_failed)
        self.engine.modelWarning.connect(lambda m: self.statusBar().showMessage(
            f"This model classifies but cannot be attacked: {m}"))
        self.engine.classified.connect(self._classified)
        self.engine.attackStarted.connect(self._attack_started)
        self.engine.attackStep.connect(self._attack_step)
        self.engine.attackFinished.connect(self._attack_finished)
        self.engine.attackFailed.connect(self._attack_failed)
        self.engine.attackCancelled.connect(self._attack_cancelled)
        self.engine_thread.start()

        for event, view in (("model", self._render_model), ("image", self._render_image),
                            ("verdict", self._render_image), ("attack", self._render_attack),
                            ("step", self._render_step), ("cursor", self._render_attack)):
            self.state.subscribe(event, view)
        self.browser.imageSelected.connect(self.state.select)
        self.tiers.thresholdsChanged.connect(self._thresholds_changed)
        self.attack_panel.runRequested.connect(self.run_attack)
        # Direct: the engine thread is busy in the attack loop; these only set flags.
        self.attack_panel.cancelRequested.connect(self.engine.cancel,
                                                  Qt.ConnectionType.DirectConnection)
        self.playback.positionChosen.connect(self.state.show_step)
        self.playback.steppingToggled.connect(self.engine.set_stepping,
                                              Qt.ConnectionType.DirectConnection)
        self.playback.nextStepRequested.connect(self.engine.next_step,
                                                Qt.ConnectionType.DirectConnection)
        build_menus(self)
        self._build_model_picker()
        self.setMinimumSize(MIN_WIDTH, MIN_HEIGHT)
        persistence.restore(self)
        self.state.model_spec = model or self.state.model_spec
        self.state.model_requested(self.state.model_spec)
        self.device = device
        self.requestModel.emit(self.state.model_spec, device)

    # -- what the state says (read-only views of it) ----------------------------------------------
    @property
    def info(self) -> ModelInfo | None:
        """The model in use: the previous one stays in use while another loads or fails."""
        return self.state.model

    @property
    def verdicts(self) -> dict[str, Verdict]:
        return self.state.verdicts

    @property
    def current_path(self) -> str:
        return self.state.path

    @property
    def outcome(self):
        return self.state.result

    @property
    def attacking(self) -> bool:
        return self._requested or self.state.running

    @property
    def model_spec(self) -> str:
        return self.state.model_spec

    def select_image(self, path: str) -> None:
        """Select an image as a click in the browser would (and also one it does not list)."""
        self.browser.select_path(path)
        self.state.select(path)

    def _build_model_picker(self) -> None:
        bar = self.addToolBar("Model")
        bar.setObjectName("model-toolbar")
        bar.addWidget(QLabel(" Model: "))
        self.model_picker = ModelPicker()
        self.model_picker.modelChosen.connect(self.switch_model)
        bar.addWidget(self.model_picker)

    def switch_model(self, spec: str) -> None:
        """Load another classifier in the background; the folder is classified again once it is
        in use. Until then (and for good if it fails) the current model stays in use everywhere."""
        if spec == self.state.model_spec and self.state.model is not None:
            return
        if self.attacking:  # its result would be the old model's; the engine would wait for it
            self.engine.cancel()
        self.state.model_requested(spec)
        self.requestModel.emit(spec, self.device)

    # -- closing -----------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self.batch_dialog is not None and not self.batch_dialog.release_for_close():
            event.ignore()
            return
        persistence.remember(self)
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop both threads cleanly: cancel the attack, drop queued work, join."""
        self.engine.cancel()
        self.engine.set_stepping(False)
        self.engine.set_generation(-1)
        self.scan.stop()
        self.thumbs.stop()
        self.engine_thread.quit()
        self.engine_thread.wait(30000)

    # -- opening -----------------------------------------------------------------------------------
    def open_image_dialog(self) -> None:
        pattern = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.folder, f"Images ({pattern})")
        if path:
            self.open_paths([path])

    def open_folder_dialog(self) -> None:
        start = self.folder or str(self.settings.value("browser/last_folder", ""))
        path = QFileDialog.getExistingDirectory(self, "Open folder", start)
        if path:
            self.open_paths([path])

    def open_samples(self) -> None:
        """The bundled sample photos (Help > Sample Photo Credits names their authors)."""
        from advgui.samples import FOLDER  # noqa: PLC0415

        self.open_paths([str(FOLDER)])

    def open_paths(self, paths: list[str]) -> None:
        """Open images and folders; folders are listed on a thread of their own."""
        files: list[str] = []
        folders: list[Path] = []
        if paths and not any(Path(p).exists() for p in paths):  # mistyped on the command line
            self.statusBar().showMessage(f"Not found: {', '.join(paths)}", 10000)
            return
        for p in map(Path, paths):
            if p.is_dir():
                folders.append(p)
                self.folder = str(p)
            elif p.suffix.lower() in IMAGE_SUFFIXES:
                files.append(str(p))
                self.folder = self.folder or str(p.parent)
        if folders:
            self._scan_files = files
            self._scan_id = self.scan.start(folders)
            self.statusBar().showMessage(f"Listing the images in {folders[0]}…")
            return
        self.scan.cancel()
        self._scan_id = 0  # a listing still running must not replace what is opened now
        self._show_files(files)

    def _scan_progress(self, scan_id: int, found: int) -> None:
        if scan_id == self._scan_id:
            self.statusBar().showMessage(f"Listing the images in {self.folder}… {found:,} so far")

    def _scan_finished(self, scan_id: int, found: list[str]) -> None:
        if scan_id == self._scan_id:
            self.statusBar().clearMessage()
            self._show_files(self._scan_files + found)

    def _show_files(self, files: list[str]) -> None:
        if not files:
            self.statusBar().showMessage("No image files there.", 5000)
            return
        self.generation += 1
        self.engine.set_generation(self.generation)
        self.thumbs.worker.clear()
        self.state.new_folder()
        self.images.set_paths(files)
        self.truth = FolderTruth()
        self.setWindowTitle(f"advgui — {self.folder}")
        self._classify_all()
        self.browser.select_first()

    def _classify_all(self) -> None:
        info = self.state.model
        if info is None or not self.images.entries:
            return
        problem = self.truth.load([e.path for e in self.images.entries], info)
        if problem:
            self.statusBar().showMessage(problem, 15000)
        for e in self.images.entries:
            self.images.set_truth(e.path, *self.truth.label(e.path, info))
        self._show_progress()
        self.requestClassify.emit(self.generation, [e.path for e in self.images.entries])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.open_paths([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])

    # -- engine replies ------------------------------------------------------------------------------
    def _model_loaded(self, info: ModelInfo) -> None:
        before = self.state.model
        self.attack_panel.set_classes(info.class_names, info.std)
        self.state.model_loaded(info)
        if before is None or before.sha256 != info.sha256:
            self.generation += 1
            self.engine.set_generation(self.generation)
            self.images.set_paths([e.path for e in self.images.entries])
            self._classify_all()
            if self.state.path:
                self.browser.select_path(self.state.path)

    def _model_failed(self, message: str) -> None:
        failed = self.state.loading_spec or ""
        self.state.model_failed()
        self.model_picker.forget(failed)
        if self.state.model is not None:
            self.attack_panel.set_classes(self.state.model.class_names, self.state.model.std)
            message += f"\n\nStill using {self.state.model.name}."
        QMessageBox.critical(self, "Model could not be loaded", message)

    def _classified(self, generation: int, v: Verdict) -> None:
        info = self.state.model
        if generation != self.generation or info is None:
            return
        name = info.class_names[v.top1] if v.top1 >= 0 else ""
        self.images.set_verdict(v.path, v.confidence, name, v.error, v.top1)
        self.tiers.show_counts(self.images.tier_counts())
        self.state.set_verdict(v)
        self._show_progress()

    def _show_progress(self) -> None:
        done, total = len(self.state.verdicts), len(self.images.entries)
        self.progress_label.setText("" if not total else
                                    f"{done:,} / {total:,} classified" + self.truth.score(self.images))

    def _thresholds_changed(self, t: TierThresholds) -> None:
        self.images.set_thresholds(t)
        self.tiers.show_counts(self.images.tier_counts())
        self._render_image()

    # -- views: each renders what the state holds, nothing else --------------------------------------
    def _render_model(self) -> None:
        info, state = self.state.model, self.state
        if state.loading:
            still = f" (still using {info.name})" if info else ""
            self.model_label.setText(f"loading {Path(state.loading_spec).name or 'model'}…{still}")
        elif info is None:
            self.model_label.setText("Model: none loaded")
        else:
            self.model_label.setText(f"Model: {info.name}")
            self.device_label.setText(f"Device: {info.device}")
        if info is not None:
            self.model_picker.show_current(state.model_spec or info.name)

    def _render_image(self) -> None:
        path, v, info = self.state.path, self.state.verdict, self.state.model
        if not path:
            return
        name = Path(path).name
        if v is None:
            self.tiers.show_image(name, -1, "")
        elif v.error:
            self.tiers.show_image(name, -1, f"cannot be read — {v.error}")
        else:
            self.tiers.show_image(name, v.confidence, info.class_names[v.top1] if info else str(v.top1))
        if self.state.shown is None:
            self._render_attack()

    def _render_attack(self) -> None:
        record, info = self.state.shown, self.state.model
        names = info.class_names if info else ()
        if record is None:
            v = self.state.verdict
            if v is not None and v.top and info is not None:
                self.charts.show_clean(names, v.top, v.top_probabilities)
            else:
                self.charts.clear()
            self.inspect.clear("No attack on this image yet." if self.state.path else "")
            self.playback.show_record(0, 0, None, live=False)
            self.caption.setText("Run an attack (Return) to see it step by step."
                                 if self.state.path else "Open an image or a folder.")
            return
        cursor = self.state.cursor
        self.charts.render_now(names, record, cursor)
        self.inspect.render(record, cursor, names)
        self.playback.show_record(len(record.steps), record.total, cursor,
                                  live=record is self.state.live)
        self.caption.setText(caption(record, cursor, names))

    def _render_step(self) -> None:
        """A live step: drawn only when it is what the views follow (not while scrubbing)."""
        record, info = self.state.shown, self.state.model
        if record is None or record is not self.state.live or info is None:
            return
        self.playback.show_record(len(record.steps), record.total, self.state.cursor, live=True)
        if self.state.cursor is not None:
            return
        self.charts.render(info.class_names, record, None)
        if self.tabs.currentWidget() is self.inspect:
            self.inspect.render(record, None, info.class_names)
        self.caption.setText(caption(record, None, info.class_names))

    # -- attacks --------------------------------------------------------------------------------------
    def run_attack(self, values: dict | None = None) -> None:
        if values is None:  # Return: the panel's settings, with its checks
            self.attack_panel.request_run()
            return
        path, info = self.state.path, self.state.model
        if self.attacking:
            self.statusBar().showMessage("An attack is running: cancel it first (Esc).", 5000)
            return
        if not path:
            self.statusBar().showMessage("Select an image first.", 5000)
            return
        if info is None or self.state.loading:
            self.statusBar().showMessage("The model is still loading.", 5000)
            return
        v = self.state.verdict
        if v is not None and v.error:
            QMessageBox.warning(self, "Cannot attack this file", v.error)
            return
        truth: int | None = -1
        if values["target"] == "true":
            truth = truth_or_explain(self, path, info.class_ids, len(info.class_names))
            if truth is None:
                return
        self._requested = True
        self.attack_panel.set_running(True)
        self.statusBar().showMessage("Attacking…")
        self.requestAttack.emit(AttackRequest(path, values["method"], values["target"],
                                              values["eps"], values["alpha"], values["steps"], truth))

    def cancel_attack(self) -> None:
        if self.attacking:
            self.engine.cancel()

    def _attack_started(self, start) -> None:
        self._requested = False
        self.state.attack_started(start)
        if self.state.path == start.request.path and self.tabs.currentWidget() is not self.inspect:
            self.tabs.setCurrentWidget(self.charts)
        names = self.state.model.class_names if self.state.model else ()
        way = "towards" if start.towards else "away from"
        target = names[start.target] if start.target < len(names) else start.target
        self.statusBar().showMessage(f"Attacking {way} {target}…")

    def _attack_step(self, step: AttackStep) -> None:
        self.state.attack_step(step)
        self.step_label.setText(f"step {step.step}/{step.total} · {1000 * step.seconds:.0f} ms/step")

    def _step_drawn(self, index: int) -> None:
        live = self.state.live
        if live is not None and live.steps and index == len(live.steps):
            self.stepShown.emit(live.steps[-1], time.perf_counter())

    def _attack_done(self) -> None:
        self._requested = False
        self.attack_panel.set_running(False)

    def _attack_finished(self, out) -> None:
        self._attack_done()
        self.state.attack_finished(out)
        names = self.state.model.class_names if self.state.model else ()
        top = int(np.argmax(out.adversarial_probabilities))
        flip = (f"top-1 flipped at step {out.first_flip_step}" if out.first_flip_step > 0
                else "top-1 did not change")
        if out.problem:
            QMessageBox.warning(self, "Attack result not trustworthy", out.problem)
        self.statusBar().showMessage(
            f"Done: {names[top] if top < len(names) else top} "
            f"({100 * out.adversarial_probabilities[top]:.1f} %), "
            f"{flip}; {1000 * out.seconds_per_step:.0f} ms per step", 15000)

    def _attack_failed(self, message: str) -> None:
        self._attack_done()
        self.state.attack_dropped()
        summary = message.split("\n\n")[0]
        self.statusBar().showMessage(f"Attack failed: {summary.splitlines()[0]}", 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, "Attack failed", summary, parent=self)
        if "\n\n" in message:
            box.setDetailedText(message)
        box.exec()

    def _attack_cancelled(self) -> None:
        self._attack_done()
        self.state.attack_dropped()  # what was shown before the attack is shown again
        kept = " The previous result of this image is shown." if self.state.result else ""
        self.statusBar().showMessage(f"Attack cancelled: no new result.{kept}", 8000)

    # -- keyboard -------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Arrows that no focused control used move through the images."""
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}
        if event.key() in moves and not event.modifiers():
            self.browser.step(moves[event.key()])
            return
        super().keyPressEvent(event)

    # -- output ---------------------------------------------------------------------------------------
    def save_adversarial(self) -> None:
        if self.state.result is None:
            self.statusBar().showMessage("No finished attack on this image to save.", 5000)
            return
        save_adversarial_png(self, self.state.result, self.folder)

    def copy_adversarial(self) -> None:
        if self.state.result is not None:
            QGuiApplication.clipboard().setImage(adversarial_qimage(self.state.result))

    def save_charts(self) -> None:
        save_charts_png(self)
