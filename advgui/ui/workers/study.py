"""Runs the study (the same code as advgui-cli study) on its own thread, cancellable."""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, Signal, Slot

from advgui.core.model.classifier import Classifier
from advgui.core.study.engine import Study, StudyConfig


class StudyWorker(QObject):
    progress = Signal(object)  # StudyProgress
    finished = Signal(object)  # StudyOutcome
    failed = Signal(str)

    def __init__(self, classifier: Classifier, config: StudyConfig) -> None:
        super().__init__()
        # ONNX Runtime sessions may be run from several threads; the engine worker keeps owning
        # them, this worker only borrows the classifier for the study's duration.
        self.classifier, self.config = classifier, config
        self._stop = threading.Event()

    def cancel(self) -> None:
        self._stop.set()

    @Slot()
    def run(self) -> None:
        try:
            gen = Study(self.classifier, self.config).run(self._stop.is_set)
            while True:
                try:
                    self.progress.emit(next(gen))
                except StopIteration as done:
                    self.finished.emit(done.value)
                    return
        except (ValueError, OSError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # shown folded in the dialog, never a crash
            self.failed.emit(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
