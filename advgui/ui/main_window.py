"""The main window: composes the views and routes requests to the engine worker."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QThread, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from advgui.core.images import IMAGE_SUFFIXES
from advgui.core.tiers import TierThresholds
from advgui.ui import persistence
from advgui.ui.attack_panel import AttackPanel
from advgui.ui.export import adversarial_qimage, save_adversarial_png
from advgui.ui.folder_scan import FolderScan
from advgui.ui.ground_truth import truth_or_explain
from advgui.ui.image_browser import ImageBrowser, ImageListModel
from advgui.ui.inspect_panel import InspectPanel
from advgui.ui.menus import build_menus
from advgui.ui.model_picker import ModelPicker
from advgui.ui.prob_charts import ProbabilityCharts
from advgui.ui.thumbnails import ThumbnailService
from advgui.ui.tier_panel import TierPanel
from advgui.ui.workers import (AttackOutcome, AttackRequest, AttackStart, AttackStep,
                               EngineWorker, ModelInfo, Verdict)


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
        self.info: ModelInfo | None = None
        self.verdicts: dict[str, Verdict] = {}
        self.current_path = ""
        self.folder = ""
        self.generation = 0
        self.outcome: AttackOutcome | None = None
        self.attacking = False

        self.images = ImageListModel()
        self.browser = ImageBrowser(self.images)
        self.tiers = TierPanel()
        self.attack_panel = AttackPanel()
        self.charts = ProbabilityCharts()
        self.charts.drawn.connect(self._step_drawn)
        self._last_step: AttackStep | None = None
        self.inspect = InspectPanel()
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.browser, 1)
        lv.addWidget(self.tiers)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.charts, "Probabilities")
        self.tabs.addTab(self.inspect, "Inspect")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.addWidget(self.attack_panel)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setStretchFactor(2, 1)
        self.attack_panel.setMaximumWidth(420)
        left.setMinimumWidth(300)
        self.setCentralWidget(split)
        self.model_label, self.device_label, self.step_label = QLabel("loading model…"), QLabel(), QLabel()
        for w in (self.model_label, self.device_label, self.step_label):
            self.statusBar().addPermanentWidget(w)

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

        self.browser.imageSelected.connect(self.select_image)
        self.tiers.thresholdsChanged.connect(self._thresholds_changed)
        self.attack_panel.runRequested.connect(self.run_attack)
        # Direct: the engine thread is busy in the attack loop; cancel() only sets an Event.
        self.attack_panel.cancelRequested.connect(self.engine.cancel,
                                                  Qt.ConnectionType.DirectConnection)
        build_menus(self)
        self._build_model_picker()
        persistence.restore(self)
        self.model_spec, self.device = model, device
        self.requestModel.emit(model, device)

    def _build_model_picker(self) -> None:
        bar = self.addToolBar("Model")
        bar.setObjectName("model-toolbar")
        bar.addWidget(QLabel(" Model: "))
        self.model_picker = ModelPicker()
        self.model_picker.modelChosen.connect(self.switch_model)
        bar.addWidget(self.model_picker)

    def switch_model(self, spec: str) -> None:
        """Load another classifier in the background; the folder is classified again."""
        if self.attacking:  # its result would be the old model's; the engine would wait for it
            self.engine.cancel()
        # Kept until the new model has loaded: a model that fails leaves the previous one in use
        # everywhere (the engine keeps it too), never a half-switched window.
        self._previous_model = (self.model_spec, self.info)
        self.model_spec = spec
        self.info = None
        self.model_label.setText(f"loading {Path(spec).name}…")
        self.generation += 1
        self.engine.set_generation(self.generation)
        self.verdicts.clear()
        self.images.set_paths([e.path for e in self.images.entries])
        self.requestModel.emit(spec, self.device)

    # -- closing -----------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        persistence.remember(self)
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop both threads cleanly: cancel the attack, drop queued work, join."""
        self.engine.cancel()
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
        self.verdicts.clear()
        self.images.set_paths(files)
        self.setWindowTitle(f"advgui — {self.folder}")
        self._classify_all()
        self.browser.select_first()

    def _classify_all(self) -> None:
        if self.info is not None and self.images.entries:
            self.requestClassify.emit(self.generation, [e.path for e in self.images.entries])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.open_paths([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])

    # -- engine replies ------------------------------------------------------------------------------
    def _model_loaded(self, info: ModelInfo) -> None:
        self.info = info
        self.model_label.setText(f"Model: {info.name}")
        self.device_label.setText(f"Device: {info.device}")
        self.attack_panel.set_classes(info.class_names, info.std)
        self.model_picker.show_current(self.model_spec or info.name)
        self._classify_all()

    def _model_failed(self, message: str) -> None:
        failed, (spec, info) = self.model_spec, getattr(self, "_previous_model", ("", None))
        if info is None:  # nothing loaded before: there is no model to go back to
            self.model_label.setText("Model: failed to load")
        else:
            self.model_spec, self.info = spec, info
            self.model_picker.forget(failed)
            self._model_loaded(info)
            message += f"\n\nStill using {info.name}."
        QMessageBox.critical(self, "Model could not be loaded", message)

    def _classified(self, generation: int, v: Verdict) -> None:
        if generation != self.generation or self.info is None:
            return
        self.verdicts[v.path] = v
        name = self.info.class_names[v.top1] if v.top1 >= 0 else ""
        self.images.set_verdict(v.path, v.confidence, name, v.error)
        self.tiers.show_counts(self.images.tier_counts())
        if v.path == self.current_path:
            self._show_selected()
            self._chart_clean()

    def _thresholds_changed(self, t: TierThresholds) -> None:
        self.images.set_thresholds(t)
        self.tiers.show_counts(self.images.tier_counts())
        self._show_selected()

    def select_image(self, path: str) -> None:
        self.current_path = path
        if self.outcome is not None and self.outcome.request.path != path:
            # A result belongs to its image: never shown, saved or copied under another one.
            self.outcome = None
            self.inspect.clear("No attack on this image yet.")
        self._show_selected()
        self._chart_clean()

    def _chart_clean(self) -> None:
        """The selected image's clean probabilities, unless an attack owns the charts."""
        v = self.verdicts.get(self.current_path or "")
        if self.attacking or self.info is None or v is None or not v.top:
            return
        self.charts.show_clean(self.info.class_names, v.top, v.top_probabilities)

    def _show_selected(self) -> None:
        path = self.current_path
        if not path:
            return
        v = self.verdicts.get(path)
        name = Path(path).name
        if v is None:
            self.tiers.show_image(name, -1, "")
            return
        if v.error:
            self.tiers.show_image(name, -1, f"cannot be read — {v.error}")
            if not self.attacking:
                self.charts.clear()
            return
        top1 = self.info.class_names[v.top1] if self.info else str(v.top1)
        self.tiers.show_image(name, v.confidence, top1)

    # -- attacks --------------------------------------------------------------------------------------
    def run_attack(self, values: dict) -> None:
        if not self.current_path:
            self.statusBar().showMessage("Select an image first.", 5000)
            return
        if self.info is None:
            self.statusBar().showMessage("The model is still loading.", 5000)
            return
        v = self.verdicts.get(self.current_path)
        if v is not None and v.error:
            QMessageBox.warning(self, "Cannot attack this file", v.error)
            return
        truth: int | None = -1
        if values["target"] == "true":
            truth = truth_or_explain(self, self.current_path, self.info.class_ids,
                                     len(self.info.class_names))
            if truth is None:
                return
        self.attacking = True
        self.outcome = None  # from now on the previous result is stale
        self.attack_panel.set_running(True)
        self.statusBar().showMessage("Attacking…")
        self.requestAttack.emit(AttackRequest(self.current_path, values["method"], values["target"],
                                              values["eps"], values["alpha"], values["steps"], truth))

    def _attack_started(self, start: AttackStart) -> None:
        assert self.info is not None
        self.charts.start(self.info.class_names, start.clean_probabilities, start.target)
        self.inspect.show_clean(start.clean_pixels)
        self.tabs.setCurrentIndex(0)
        way = "towards" if start.towards else "away from"
        self.statusBar().showMessage(f"Attacking {way} {self.info.class_names[start.target]}…")

    def _attack_step(self, step: AttackStep) -> None:
        self._last_step = step
        self.charts.update_step(step.step, step.probabilities)
        self.step_label.setText(f"step {step.step}/{step.total} · {1000 * step.seconds:.0f} ms/step")

    def _step_drawn(self, step: int) -> None:
        if self._last_step is not None and self._last_step.step == step:
            self.stepShown.emit(self._last_step, time.perf_counter())

    def _attack_done(self) -> None:
        self.attacking = False
        self.attack_panel.set_running(False)

    def _attack_finished(self, out: AttackOutcome) -> None:
        self._attack_done()
        self.outcome = out
        self.charts.finish(out.adversarial_probabilities)
        names = self.info.class_names if self.info else ()
        top = np.argsort(-out.adversarial_probabilities)[:5]
        lines = "<br>".join(f"{names[i]}: {100 * out.adversarial_probabilities[i]:.2f} %" for i in top)
        flip = (f"top-1 flipped at step {out.first_flip_step}" if out.first_flip_step > 0
                else "top-1 did not change")
        self.inspect.show_result(out.clean_pixels, out.adversarial_pixels, out.perturbation,
                                 f"<b>Adversarial top-5 after 8-bit rounding</b><br>{lines}<br>{flip}")
        if out.problem:
            QMessageBox.warning(self, "Attack result not trustworthy", out.problem)
        self.statusBar().showMessage(
            f"Done: {names[int(top[0])]} ({100 * out.adversarial_probabilities[top[0]]:.1f} %), "
            f"{flip}; {1000 * out.seconds_per_step:.0f} ms per step", 15000)

    def _attack_failed(self, message: str) -> None:
        self._attack_done()
        summary = message.split("\n\n")[0]
        self.statusBar().showMessage(f"Attack failed: {summary.splitlines()[0]}", 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, "Attack failed", summary, parent=self)
        if "\n\n" in message:
            box.setDetailedText(message)
        box.exec()

    def _attack_cancelled(self) -> None:
        self._attack_done()
        self.outcome = None  # the previous attack's result is not this one's
        self.inspect.clear("Attack cancelled: no result.")
        self.statusBar().showMessage("Attack cancelled.", 5000)

    # -- output ---------------------------------------------------------------------------------------
    def save_adversarial(self) -> None:
        if self.outcome is None:
            self.statusBar().showMessage("Run an attack first.", 5000)
            return
        save_adversarial_png(self, self.outcome, self.folder)

    def copy_adversarial(self) -> None:
        if self.outcome is not None:
            QGuiApplication.clipboard().setImage(adversarial_qimage(self.outcome))

    def save_charts(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save charts", "charts.png", "PNG (*.png)")
        if path:
            self.charts.save_png(path)
