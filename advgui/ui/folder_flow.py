"""Opening images and folders and classifying them: the listing thread, the generation that
keeps a previous folder's (or model's) late verdicts off the screen, the folder's ground truth
and the progress line in the status bar."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from advgui.core.app_state.window_state import Verdict
from advgui.core.file_names import shown_name
from advgui.core.model.images import IMAGE_SUFFIXES
from advgui.core.study.cost_model import format_duration
from advgui.core.tiers import TierThresholds
from advgui.ui.dialogs.ground_truth import FolderTruth
from advgui.ui.workers.folder_scan import FolderScan


class FolderFlow(QObject):
    """Lives on the GUI thread with the window; the engine classifies, this says what to."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.folder = ""
        self.generation = 0
        self.truth = FolderTruth()
        self.scan = FolderScan(window)
        self.scan.progress.connect(self._scan_progress)
        self.scan.finished.connect(self._scan_finished)
        self._scan_id = 0
        self._scan_files: list[str] = []
        self._classify_started = (0.0, 0)  # when and at how many verdicts the folder was sent

    # -- opening -----------------------------------------------------------------------------------
    def open_image_dialog(self) -> None:
        pattern = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self.w, "Open image", self.folder,
                                              f"Images ({pattern})")
        if path:
            self.open_paths([path])

    def open_folder_dialog(self) -> None:
        start = self.folder or str(self.w.settings.value("browser/last_folder", ""))
        path = QFileDialog.getExistingDirectory(self.w, "Open folder", start)
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
            self.w.state.tell(f"Not found: {', '.join(map(shown_name, paths))}", 10000, about=())
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
            self.w.state.tell(f"Listing the images in {shown_name(str(folders[0]))}…", about=())
            return
        self.scan.cancel()
        self._scan_id = 0  # a listing still running must not replace what is opened now
        self._show_files(files)

    def _scan_progress(self, scan_id: int, found: int) -> None:
        if scan_id == self._scan_id:
            self.w.state.tell(
                f"Listing the images in {shown_name(self.folder)}… {found:,} so far", about=())

    def _scan_finished(self, scan_id: int, found: list[str]) -> None:
        if scan_id == self._scan_id:
            self.w.state.tell("")
            self._show_files(self._scan_files + found)

    def _show_files(self, files: list[str]) -> None:
        w = self.w
        if not files:
            w.state.tell("No image files there.", 5000, about=())
            return
        self.generation += 1
        w.engine.set_generation(self.generation)
        w.thumbs.clear()
        w.state.new_folder()
        w.images.set_paths(files)
        self.truth = FolderTruth()
        w.setWindowTitle(f"advgui — {shown_name(self.folder)}")
        self._folder_changed()
        self._classify_all()
        w.browser.select_first()

    # -- classifying -------------------------------------------------------------------------------
    def model_changed(self) -> None:
        """Another model is in use: the folder's verdicts start again under it."""
        w = self.w
        self.generation += 1
        w.engine.set_generation(self.generation)
        w.images.set_paths([e.path for e in w.images.entries])
        self._folder_changed()
        self._classify_all()
        if w.state.path:
            w.browser.select_path(w.state.path)

    def _folder_changed(self) -> None:
        """Another folder, or the same one under another model: no count, progress or score
        of the one before stays on screen (they come back as the verdicts do)."""
        self._classify_started = (time.monotonic(), 0)
        self.w.tiers.show_counts(self.w.images.tier_counts())
        self._show_progress()

    def _classify_all(self) -> None:
        w = self.w
        info = w.state.model
        if info is None or not w.images.entries:
            return
        problem = self.truth.load([e.path for e in w.images.entries], info)
        if problem:
            w.state.tell(problem, 15000, about=("model", "folder"))
        for e in w.images.entries:
            w.images.set_truth(e.path, *self.truth.label(e.path, info))
        self._classify_started = (time.monotonic(), len(w.state.verdicts))
        self._show_progress()
        w.requestClassify.emit(self.generation, [e.path for e in w.images.entries])

    def classified(self, generation: int, v: Verdict) -> None:
        w = self.w
        info = w.state.model
        if generation != self.generation or info is None:
            return
        name = info.class_names[v.top1] if v.top1 >= 0 else ""
        w.images.set_verdict(v.path, v.confidence, name, v.error, v.top1)
        w.tiers.show_counts(w.images.tier_counts())
        w.state.set_verdict(v)
        self._show_progress()

    def _show_progress(self) -> None:
        w = self.w
        done, total = len(w.state.verdicts), len(w.images.entries)
        eta = ""
        started, before = self._classify_started
        if 0 < done - before and done < total:  # a big folder: how long the rest will take
            rate = (done - before) / max(time.monotonic() - started, 1e-6)
            eta = f", {format_duration((total - done) / rate)} left"
        w.progress_label.setText("" if not total else f"{done:,} / {total:,} classified{eta}"
                                 + self.truth.score(w.images))

    def thresholds_changed(self, t: TierThresholds) -> None:
        self.w.images.set_thresholds(t)
        self.w.tiers.show_counts(self.w.images.tier_counts())
        self.w.views.render_image()
