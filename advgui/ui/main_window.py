"""The main window: composes the views and routes requests to the engine worker (the flows
beside it handle the folder, the model, the attack, presentation mode and the Demo lessons)."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (QLabel, QMainWindow, QSizePolicy, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from advgui.core.app_state.window_state import ModelInfo, Verdict, WindowState
from advgui.ui import export, persistence
from advgui.ui.actions import build_menus
from advgui.ui.attack_flow import AttackFlow
from advgui.ui.demo_lessons import DemoLessons
from advgui.ui.dialogs.about import open_log, show_about, show_credits, show_shortcuts
from advgui.ui.dialogs.model_preprocessing import PreprocessingDialog, needs_preprocessing
from advgui.ui.folder_flow import FolderFlow
from advgui.ui.model_flow import ModelFlow
from advgui.ui.presentation import PresentationLayout, fit_caption
from advgui.ui.presentation_mode import PresentationMode
from advgui.ui.state_views import StateViews
from advgui.ui.widgets.attack_panel import AttackPanel
from advgui.ui.widgets.eliding_combo import KeepPanelWidth, fit_combo
from advgui.ui.widgets.explain_panel import ExplainPanel
from advgui.ui.widgets.image_browser import ImageBrowser, ImageListModel
from advgui.ui.widgets.inspect_panel import InspectPanel
from advgui.ui.widgets.model_picker import ModelPicker
from advgui.ui.widgets.pair_view import PairView
from advgui.ui.widgets.playback_bar import PlaybackBar
from advgui.ui.widgets.prob_charts import ProbabilityCharts
from advgui.ui.widgets.status_bar import ElidingStatusBar
from advgui.ui.widgets.status_label import StatusLabel
from advgui.ui.widgets.tier_panel import TierPanel
from advgui.ui.workers.engine import EngineWorker
from advgui.ui.workers.thumbnails import ThumbnailService

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
        self.folders = FolderFlow(self)
        self.images.thumbnailWanted.connect(self.thumbs.request)
        self.thumbs.ready.connect(self.images.set_thumbnail)
        self.engine = EngineWorker(self)
        self.requestModel.connect(self.engine.loadModel)
        self.requestClassify.connect(self.engine.classify)
        self.requestAttack.connect(self.engine.attack)
        self.models = ModelFlow(self)
        self.engine.classified.connect(self._classified)
        self.flow = AttackFlow(self)

        self.views = StateViews(self)
        self.pair.bind(self.state)
        self.browser.imageSelected.connect(self.state.select)
        self.browser.priorityWanted.connect(self.engine.prioritise)  # the selected image first
        self.tiers.thresholdsChanged.connect(self.folders.thresholds_changed)
        # These only set flags the attack checks between its steps.
        self.attack_panel.cancelRequested.connect(self.engine.cancel)
        self.playback.positionChosen.connect(self.state.show_step)
        self.playback.steppingToggled.connect(self.engine.set_stepping)
        self.playback.nextStepRequested.connect(self.engine.next_step)
        self.menu_actions = build_menus(self)
        self.presentation_action = self.menu_actions["presentation"]
        self._build_model_picker()
        self.presentation = PresentationMode(self, split, left, right)
        self.demo = DemoLessons(self)
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
        self.models.switch(spec)

    @property
    def model_dialog(self) -> PreprocessingDialog | None:
        """The preprocessing question open now, if any."""
        return self.models.dialog

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
        self.folders.scan.stop()
        self.thumbs.stop()
        self.inspect.second.stop()
        self.explain.stop()

    # -- opening (the listing and classifying live in FolderFlow) ---------------------------------
    @property
    def folder(self) -> str:
        return self.folders.folder

    def open_image_dialog(self) -> None:
        self.folders.open_image_dialog()

    def open_folder_dialog(self) -> None:
        self.folders.open_folder_dialog()

    def open_model_dialog(self) -> None:
        self.model_picker.open_file()

    def open_model_folder_dialog(self) -> None:
        self.model_picker.open_folder()

    def open_samples(self) -> None:
        self.folders.open_samples()

    def open_paths(self, paths: list[str]) -> None:
        self.folders.open_paths(paths)

    def _classified(self, generation: int, v: Verdict) -> None:
        self.folders.classified(generation, v)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.open_paths([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])

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

    # -- output (advgui.ui.export) ----------------------------------------------------------------
    def save_adversarial(self) -> None:
        export.save_adversarial(self)

    def copy_adversarial(self) -> None:
        export.copy_adversarial(self)

    def save_charts(self) -> None:
        export.save_charts(self)

    # -- the menus' slots (advgui.ui.actions names them) --------------------------------------------
    def open_study_dialog(self) -> None:
        from advgui.ui.dialogs.study_viewer import choose_and_open_study  # noqa: PLC0415

        choose_and_open_study(self)

    def fill_recent_studies(self, menu) -> None:
        from advgui.ui.dialogs.study_viewer import fill_recent_menu  # noqa: PLC0415

        fill_recent_menu(self, menu)

    def open_batch_run(self) -> None:
        from advgui.ui.dialogs.batch_launch import open_batch_dialog  # noqa: PLC0415 (rare, heavy)

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

    @property
    def presentation_layout(self) -> PresentationLayout:
        return self.presentation.layout

    def set_font_scale(self, scale: float) -> None:
        """Text and charts at `scale` times the size at start (1.5: presentation mode)."""
        self.presentation.set_scale(scale)

    def set_presentation(self, on: bool) -> None:
        self.presentation.set_on(on)

    def larger_text(self) -> None:
        self.presentation.step(+1)

    def smaller_text(self) -> None:
        self.presentation.step(-1)

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

    def run_lesson(self, key: str) -> None:
        """Demo > a prepared lesson, driven through the panel as a user's clicks would."""
        self.demo.run(key)

    def show_shortcuts(self) -> None:
        show_shortcuts(self)

    def show_credits(self) -> None:
        show_credits(self)

    def open_log(self) -> None:
        open_log(self)

    def show_about(self) -> None:
        show_about(self, self.state.model)
