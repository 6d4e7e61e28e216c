"""The main window: composes the views and routes requests to the engine worker."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QMessageBox, QSizePolicy,
                               QSplitter, QTabWidget, QToolBar, QVBoxLayout, QWidget)

from advgui.core.model.images import IMAGE_SUFFIXES
from advgui.core.model.sidecar import sidecar_path, write_model_sidecar
from advgui.core.study.cost_model import format_duration
from advgui.core.tiers import TierThresholds
from advgui.core.app_state.window_state import ModelInfo, Verdict, WindowState
from advgui.ui import persistence
from advgui.ui.attack_flow import AttackFlow
from advgui.ui.widgets.attack_panel import AttackPanel
from advgui.ui.export import adversarial_qimage, save_adversarial_png, save_charts_png
from advgui.ui.save_places import inside, offered_folder, remember_save
from advgui.ui.workers.folder_scan import FolderScan
from advgui.ui.dialogs.ground_truth import FolderTruth
from advgui.ui.dialogs.model_preprocessing import (ModelAnswer, PreprocessingDialog,
                                                   needs_preprocessing)
from advgui.ui.widgets.image_browser import ImageBrowser, ImageListModel
from advgui.ui.widgets.explain_panel import ExplainPanel
from advgui.ui.widgets.inspect_panel import InspectPanel
from advgui.ui.actions import build_menus
from advgui.ui.dialogs.about import open_log, show_about, show_credits, show_shortcuts
from advgui.ui.widgets.model_picker import ModelPicker
from advgui.ui.widgets.eliding_combo import KeepPanelWidth, fit_combo
from advgui.ui.widgets.playback_bar import PlaybackBar
from advgui.ui.presentation import (PRESENTATION_SCALE, PresentationLayout, apply_font_scale,
                                    fit_caption, next_font_scale)
from advgui.ui.state_views import StateViews
from advgui.ui.widgets.pair_view import PairView
from advgui.ui.widgets.prob_charts import ProbabilityCharts
from advgui.ui.widgets.status_bar import ElidingStatusBar
from advgui.ui.widgets.status_label import StatusLabel
from advgui.ui.workers.thumbnails import ThumbnailService
from advgui.ui.widgets.tier_panel import TierPanel
from advgui.ui.workers.engine import EngineWorker

MIN_WIDTH, MIN_HEIGHT = 800, 600  # a 1024 x 768 projector with room to spare, or an 800 x 600 one
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
        self.truth = FolderTruth()

        self.images = ImageListModel()
        self.browser = ImageBrowser(self.images)
        self.tiers = TierPanel()
        self.attack_panel = AttackPanel()
        self.charts = ProbabilityCharts()
        self.pair = PairView()  # the photo and its adversarial beside the charts
        self.charts.add_beside(self.pair, self.pair.headline)
        self.inspect = InspectPanel()
        self.playback = PlaybackBar()
        self.caption = QLabel("Select an image, then run an attack.")
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        fit_caption(self.caption)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.browser, 1)
        lv.addWidget(self.tiers)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.charts, "Probabilities")
        self.tabs.addTab(self.inspect, "Inspect")
        self.explain = ExplainPanel(self.state, lambda: self.engine.classifier)
        self.tabs.addTab(self.explain, "Explain")
        self.tabs.currentChanged.connect(lambda _i: self.explain.refresh())
        middle = QWidget()
        mv = QVBoxLayout(middle)
        mv.setContentsMargins(0, 0, 0, 0)
        mv.addWidget(self.caption)
        mv.addWidget(self.tabs, 1)
        mv.addWidget(self.playback)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(middle)
        right = QWidget()  # the attack panel; the tier panel joins it in presentation mode
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.attack_panel)
        rv.addStretch(1)
        right.setMaximumWidth(420)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setStretchFactor(2, 0)  # the attack panel keeps its width: its combos stay whole
        split.setSizes([600, 800, 300])  # room for a grid of thumbnails, not one column
        KeepPanelWidth(split, 2, donors=(1, 0))
        split.setChildrenCollapsible(False)
        self.attack_panel.setMaximumWidth(420)
        left.setMinimumWidth(240)
        self.setCentralWidget(split)
        self.splitter = split
        self.setStatusBar(ElidingStatusBar(self))
        # Long texts are cut with '…' (whole in the tooltip), never widen the window.
        # Narrow, so that messages keep most of the bar.
        self.model_label, self.device_label = StatusLabel("loading model…", 170), StatusLabel("", 90)
        self.step_label, self.progress_label = StatusLabel("", 190), StatusLabel("", 230)
        self.batch_label = StatusLabel("", 220)
        for w in (self.batch_label, self.progress_label, self.model_label, self.device_label,
                  self.step_label):
            self.statusBar().addPermanentWidget(w)
        self.batch_dialog = None

        self.thumbs = ThumbnailService(self)
        self.scan = FolderScan(self)
        self.scan.progress.connect(self._scan_progress)
        self.scan.finished.connect(self._scan_finished)
        self._scan_id = 0
        self._scan_files: list[str] = []
        self._classify_started = (0.0, 0)  # when and at how many verdicts the folder was sent
        self.images.thumbnailWanted.connect(self.thumbs.request)
        self.thumbs.ready.connect(self.images.set_thumbnail)
        self.engine = EngineWorker(self)
        self.requestModel.connect(self.engine.loadModel)
        self.requestClassify.connect(self.engine.classify)
        self.requestAttack.connect(self.engine.attack)
        self.engine.modelLoaded.connect(self._model_loaded)
        self.engine.modelFailed.connect(self._model_failed)
        self.engine.modelWarning.connect(self._model_warning)
        self.model_dialog: PreprocessingDialog | None = None
        self._to_save: dict[str, ModelAnswer] = {}  # answers written beside the model once it loads
        self.engine.classified.connect(self._classified)
        self.flow = AttackFlow(self)

        self.views = StateViews(self)
        self.pair.bind(self.state)
        self.browser.imageSelected.connect(self.state.select)
        self.browser.priorityWanted.connect(self.engine.prioritise)  # the selected image first
        self.tiers.thresholdsChanged.connect(self._thresholds_changed)
        # These only set flags the attack checks between its steps.
        self.attack_panel.cancelRequested.connect(self.engine.cancel)
        self.playback.positionChosen.connect(self.state.show_step)
        self.playback.steppingToggled.connect(self.engine.set_stepping)
        self.playback.nextStepRequested.connect(self.engine.next_step)
        self.menu_actions = build_menus(self)
        self.presentation_action = self.menu_actions["presentation"]
        self._build_model_picker()
        self.presentation_layout = PresentationLayout(split, left, self.tiers, right,
                                                      self.findChild(QToolBar, "model-toolbar"))
        self.setMinimumSize(MIN_WIDTH, MIN_HEIGHT)
        persistence.restore(self)
        spec = model or self.state.model_spec
        if needs_preprocessing(spec):  # asked once the window is up; the default meanwhile
            QTimer.singleShot(0, lambda asked=spec: self.switch_model(asked))
            spec = ""
        self.state.model_spec = spec
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
        fit_combo(self.model_picker, 160)  # its whole title where the tool bar has room
        self.model_picker.modelChosen.connect(self.switch_model)
        bar.addWidget(self.model_picker)

    def switch_model(self, spec: str) -> None:
        """Load another classifier in the background; the folder is classified again once it is
        in use. Until then (and for good if it fails) the current model stays in use everywhere."""
        if spec == self.state.model_spec and self.state.model is not None:
            return
        if spec not in self.engine.answers and needs_preprocessing(spec):
            self._ask_preprocessing(spec)
            return
        if self.attacking:  # its result would be the old model's; the engine would wait for it
            self.engine.cancel()
        self.state.model_requested(spec)
        self.requestModel.emit(spec, self.device)

    def _ask_preprocessing(self, spec: str) -> None:
        """A bare model that does not say how it reads images: ask (window-modal, so the
        window goes on drawing); Cancel keeps the model in use."""
        dialog = PreprocessingDialog(Path(spec), self)
        self.model_dialog = dialog
        dialog.accepted.connect(lambda: self._answered(spec, dialog.answer()))
        dialog.rejected.connect(lambda: self._not_answered(spec))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _answered(self, spec: str, answer: ModelAnswer) -> None:
        self.model_dialog = None
        self.engine.answers[spec] = (answer.preprocessing, answer.labels)
        self._to_save[spec] = answer
        self.switch_model(spec)

    def _not_answered(self, spec: str) -> None:
        self.model_dialog = None
        self.model_picker.forget(spec)
        self.model_picker.show_current(self.state.model_spec)
        if self.state.model is not None:
            self.state.tell(f"Not opened; still using {self.state.model.name}.", 8000, about=("model",))

    def _save_answer(self, spec: str) -> None:
        """The answer worked: write it beside the model so the next open goes straight in, or
        keep it for this session where the folder cannot be written."""
        answer = self._to_save.pop(spec, None)
        if answer is None:
            return
        try:
            written = write_model_sidecar(Path(spec), answer.preprocessing, answer.labels)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.state.tell(
                f"Could not save {sidecar_path(Path(spec)).name} beside the model ({reason}): "
                "its preprocessing holds for this session only.", 20000, about=("model",))
            return
        self.engine.answers.pop(spec, None)
        self.state.tell(f"Saved {written.name} beside the model: it opens directly next time.",
                        10000, about=("model",))

    def _model_warning(self, message: str) -> None:
        """The model classifies, but its gradient cannot be built: the attack panel says why."""
        self.attack_panel.set_unavailable(message)
        self.state.tell(f"This model classifies but cannot be attacked: {message}", about=("model",))

    # -- closing -----------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self.batch_dialog is not None and not self.batch_dialog.release_for_close():
            event.ignore()
            return
        persistence.remember(self)
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every job cleanly: cancel the attack, drop queued work, join."""
        self.engine.stop()
        self.scan.stop()
        self.thumbs.stop()
        self.inspect.second.stop()
        self.explain.stop()

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

    def open_model_dialog(self) -> None:
        self.model_picker.open_file()

    def open_model_folder_dialog(self) -> None:
        self.model_picker.open_folder()

    def open_samples(self) -> None:
        """The bundled sample photos (Help > Sample Photo Credits names their authors)."""
        from advgui.samples import FOLDER  # noqa: PLC0415

        self.open_paths([str(FOLDER)])

    def open_paths(self, paths: list[str]) -> None:
        """Open images and folders; folders are listed on a thread of their own."""
        files: list[str] = []
        folders: list[Path] = []
        if paths and not any(Path(p).exists() for p in paths):  # mistyped on the command line
            self.state.tell(f"Not found: {', '.join(paths)}", 10000, about=())
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
            self.state.tell(f"Listing the images in {folders[0]}…", about=())
            return
        self.scan.cancel()
        self._scan_id = 0  # a listing still running must not replace what is opened now
        self._show_files(files)

    def _scan_progress(self, scan_id: int, found: int) -> None:
        if scan_id == self._scan_id:
            self.state.tell(f"Listing the images in {self.folder}… {found:,} so far", about=())

    def _scan_finished(self, scan_id: int, found: list[str]) -> None:
        if scan_id == self._scan_id:
            self.state.tell("")
            self._show_files(self._scan_files + found)

    def _show_files(self, files: list[str]) -> None:
        if not files:
            self.state.tell("No image files there.", 5000, about=())
            return
        self.generation += 1
        self.engine.set_generation(self.generation)
        self.thumbs.clear()
        self.state.new_folder()
        self.images.set_paths(files)
        self.truth = FolderTruth()
        self.setWindowTitle(f"advgui — {self.folder}")
        self._folder_changed()
        self._classify_all()
        self.browser.select_first()

    def _folder_changed(self) -> None:
        """Another folder, or the same one under another model: no count, progress or score
        of the one before stays on screen (they come back as the verdicts do)."""
        self._classify_started = (time.monotonic(), 0)
        self.tiers.show_counts(self.images.tier_counts())
        self._show_progress()

    def _classify_all(self) -> None:
        info = self.state.model
        if info is None or not self.images.entries:
            return
        problem = self.truth.load([e.path for e in self.images.entries], info)
        if problem:
            self.state.tell(problem, 15000, about=("model", "folder"))
        for e in self.images.entries:
            self.images.set_truth(e.path, *self.truth.label(e.path, info))
        self._classify_started = (time.monotonic(), len(self.state.verdicts))
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
        changed = before is None or before.sha256 != info.sha256
        if changed:  # the same classes keep the chosen target class
            self.attack_panel.set_classes(info.class_names, info.std)
            self.attack_panel.set_unavailable("")
        self.state.model_loaded(info)
        self._save_answer(info.spec)
        if changed:
            self.generation += 1
            self.engine.set_generation(self.generation)
            self.images.set_paths([e.path for e in self.images.entries])
            self._folder_changed()
            self._classify_all()
            if self.state.path:
                self.browser.select_path(self.state.path)

    def _model_failed(self, failed: str, message: str) -> None:
        if self._to_save.pop(failed, None) is not None:  # a wrong answer is not kept
            self.engine.answers.pop(failed, None)
        self.state.model_failed(failed)
        self.model_picker.forget(failed)
        if self.state.model is not None:
            message += f"\n\nStill using {self.state.model.name}."
        elif failed:  # nothing in use (a remembered model that is gone): the default instead
            message += "\n\nOpening the default model instead."
            self.state.model_requested("")
            self.requestModel.emit("", self.device)
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
        eta = ""
        started, before = self._classify_started
        if 0 < done - before and done < total:  # a big folder: how long the rest will take
            rate = (done - before) / max(time.monotonic() - started, 1e-6)
            eta = f", {format_duration((total - done) / rate)} left"
        self.progress_label.setText("" if not total else f"{done:,} / {total:,} classified{eta}"
                                    + self.truth.score(self.images))

    def _thresholds_changed(self, t: TierThresholds) -> None:
        self.images.set_thresholds(t)
        self.tiers.show_counts(self.images.tier_counts())
        self.views.render_image()

    # -- attacks (the requests and the engine's replies live in AttackFlow) ------------------------
    def run_attack(self, values: dict | None = None) -> None:
        self.flow.run(values)

    def cancel_attack(self) -> None:
        self.flow.cancel()

    @property
    def attacking(self) -> bool:
        return self.flow.requested or self.state.running

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
            self.state.tell("No finished attack on this image to save.", 5000, about=("image",))
            return
        self._saved("Saved", save_adversarial_png(self, self.state.result,
                                                  offered_folder(self.settings, self.folder)))

    def copy_adversarial(self) -> None:
        if self.state.result is None:
            self.state.tell("No finished attack on this image to copy.", 5000, about=("image",))
            return
        QGuiApplication.clipboard().setImage(adversarial_qimage(self.state.result))
        self.state.tell("Adversarial image copied (lossless, as saved).", 5000, about=("image",))

    def save_charts(self) -> None:
        self._saved("Charts saved:", save_charts_png(self, offered_folder(self.settings, self.folder)))

    def _saved(self, what: str, path: str) -> None:
        """Say where it went (in the window: the path can be copied from the tooltip) and offer
        that folder next time; warn when it went into the folder being browsed."""
        if not path:
            return
        remember_save(self.settings, path)
        listed = (" It is inside the folder being browsed: it will be listed as a photo the next "
                  "time this folder is opened." if inside(Path(path), self.folder) else "")
        self.state.tell(f"{what} {path}.{listed}", 15000 if listed else 8000, about=())

    # -- the menus' slots (advgui.ui.actions names them) --------------------------------------------
    def open_study_dialog(self) -> None:
        from advgui.ui.dialogs.study_viewer import choose_and_open_study  # noqa: PLC0415

        choose_and_open_study(self)

    def fill_recent_studies(self, menu) -> None:
        from advgui.ui.dialogs.study_viewer import fill_recent_menu  # noqa: PLC0415

        fill_recent_menu(self, menu)

    def open_batch_run(self) -> None:
        from advgui.ui.dialogs.batch_dialog import open_batch_dialog  # noqa: PLC0415 (rare, heavy)

        dialog = open_batch_dialog(self, self.batch_dialog)
        if dialog is not None:
            self.batch_dialog = dialog

    def show_probabilities(self) -> None:
        self.tabs.setCurrentWidget(self.charts)

    def show_inspect(self) -> None:
        self.tabs.setCurrentWidget(self.inspect)

    def show_explain(self) -> None:
        self.tabs.setCurrentWidget(self.explain)

    @property
    def font_scale(self) -> float:
        return self.state.font_scale

    def set_font_scale(self, scale: float) -> None:
        """Text and charts at `scale` times the size at start (1.5: presentation mode)."""
        self.state.font_scale = scale
        self.presentation_layout.apply(scale >= PRESENTATION_SCALE)
        apply_font_scale(scale, self.charts, self.caption, self.browser, self.tiers)
        self.presentation_layout.fit_charts(self.charts, self.pair, scale)
        self.presentation_layout.fit_controls(self.attack_panel, self.tiers)
        self.presentation_layout.settle()
        self.presentation_action.blockSignals(True)
        self.presentation_action.setChecked(scale == PRESENTATION_SCALE)
        self.presentation_action.blockSignals(False)
        self.state.tell(f"Text size ×{scale:g}", 3000, about=())

    def set_presentation(self, on: bool) -> None:
        self.set_font_scale(PRESENTATION_SCALE if on else 1.0)

    def larger_text(self) -> None:
        scale = next_font_scale(self.state.font_scale, +1)
        if scale != self.state.font_scale:  # at the end of the scales: nothing to say
            self.set_font_scale(scale)

    def smaller_text(self) -> None:
        scale = next_font_scale(self.state.font_scale, -1)
        if scale != self.state.font_scale:  # at the end of the scales: nothing to say
            self.set_font_scale(scale)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def play_pause_steps(self) -> None:
        self.playback.toggle_play()

    def next_step(self) -> None:
        self.engine.next_step()

    def previous_image(self) -> None:
        self.browser.step(-1)

    def next_image(self) -> None:
        self.browser.step(+1)

    def lesson_runner(self):
        """The Demo lessons' runner, made on first use (most sessions never run a lesson)."""
        if getattr(self, "_lesson_runner", None) is None:
            from advgui.ui.lesson_runner import LessonRunner  # noqa: PLC0415

            self._lesson_runner = LessonRunner(self)
        return self._lesson_runner

    def run_lesson(self, key: str) -> None:
        """Demo > a prepared lesson, driven through the panel as a user's clicks would."""
        runner = self.lesson_runner()
        self.presentation_layout.place_note(runner.note)
        runner.run(key)

    def show_shortcuts(self) -> None:
        show_shortcuts(self)

    def show_credits(self) -> None:
        show_credits(self)

    def open_log(self) -> None:
        open_log(self)

    def show_about(self) -> None:
        show_about(self, self.state.model)
