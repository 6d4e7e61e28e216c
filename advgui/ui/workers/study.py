"""Runs the study (the same code as advgui-cli study) as a Job (workers/job.py), cancellable."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Generator

from PySide6.QtCore import QObject, Signal

from advgui.core.model.classifier import Classifier
from advgui.core.study.engine import Study, StudyConfig, StudyOutcome, StudyProgress
from advgui.ui.workers.job import Job


def run_study(classifier: Classifier, config: StudyConfig, should_stop: Callable[[], bool]
              ) -> Generator[StudyProgress, None, StudyOutcome]:
    # Made on the pool too: a folder the study refuses fails there, reported like any failure.
    return (yield from Study(classifier, config).run(should_stop))


class StudyRun(QObject):
    progress = Signal(object)  # StudyProgress
    finished = Signal(object)  # StudyOutcome
    failed = Signal(str)

    def __init__(self, classifier: Classifier, config: StudyConfig,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        # ONNX Runtime sessions may be run from several threads; the engine keeps owning the
        # classifier, the study only borrows it for its duration.
        self.classifier, self.config = classifier, config
        self._stop = threading.Event()
        self.job: Job | None = None

    def start(self) -> None:
        """Start on the pool (connect the signals first)."""
        self.job = Job(run_study, self.classifier, self.config, self._stop.is_set, connect={
            "yielded": self.progress.emit, "returned": self.finished.emit,
            "errored": self._errored})

    def cancel(self) -> None:
        """Not the Job's own cancel: the study stops at its next step and still writes what it
        has (its outcome says cancelled), as advgui-cli study does on Ctrl+C."""
        self._stop.set()

    @property
    def cancelling(self) -> bool:
        return self._stop.is_set()

    def wait(self, timeout_s: float) -> bool:
        return self.job is None or self.job.wait(timeout_s)

    def _errored(self, exc: Exception) -> None:
        if isinstance(exc, (ValueError, OSError)):
            self.failed.emit(str(exc))
        else:  # shown folded in the dialog, never a crash
            self.failed.emit(f"{type(exc).__name__}: {exc}\n\n"
                             + "".join(traceback.format_exception(exc)))
