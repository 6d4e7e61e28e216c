"""Lists a folder's images off the GUI thread: a home folder or a network drive can take
minutes to walk, and the window must stay responsive (and cancellable) meanwhile."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from advgui.core.records.inputs import iter_image_files
from advgui.ui.workers.job import Job

PROGRESS_EVERY_S = 0.25
CANCEL_EVERY = 64  # files between two cancel points (a yield each, no signal per file)


def list_images(folders: list[Path]) -> Iterator[int | None]:
    """Yields the count found so far every PROGRESS_EVERY_S (None: only a cancel point);
    returns the sorted paths."""
    found: list[str] = []
    last = time.monotonic()
    for folder in folders:
        for path in iter_image_files(folder):
            found.append(str(path))
            if time.monotonic() - last > PROGRESS_EVERY_S:
                last = time.monotonic()
                yield len(found)
            elif len(found) % CANCEL_EVERY == 0:
                yield None
    return sorted(found)


class FolderScan(QObject):
    progress = Signal(int, int)  # scan id, image files found so far
    finished = Signal(int, object)  # scan id, sorted list of paths

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scan_id = 0
        self._jobs: list[Job] = []

    def start(self, folders: list[Path]) -> int:
        """Start listing (cancelling any scan still running); returns the new scan's id."""
        self.cancel()
        self._scan_id += 1
        scan_id = self._scan_id
        self._jobs = [j for j in self._jobs if not j.done]
        self._jobs.append(Job(list_images, list(folders), connect={
            "yielded": lambda n: n is None or self.progress.emit(scan_id, n),
            "returned": lambda found: self.finished.emit(scan_id, found)}))
        return scan_id

    def cancel(self) -> None:
        for job in self._jobs:
            job.cancel()

    def stop(self) -> None:
        """Cancel and wait for the listings (each stops at its next cancel point)."""
        self.cancel()
        for job in self._jobs:
            job.wait(5)
        self._jobs.clear()
