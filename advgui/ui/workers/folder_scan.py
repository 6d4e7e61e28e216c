"""Lists a folder's images off the GUI thread: a home folder or a network drive can take
minutes to walk, and the window must stay responsive (and cancellable) meanwhile."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from advgui.core.model.images import iter_image_files

PROGRESS_EVERY_S = 0.25


class FolderScan(QObject):
    progress = Signal(int, int)  # scan id, image files found so far
    finished = Signal(int, object)  # scan id, sorted list of paths

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scan_id = 0
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, folders: list[Path]) -> int:
        """Start listing (cancelling any scan still running); returns the new scan's id."""
        self.cancel()
        self._scan_id += 1
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="folder-scan", daemon=True,
                                        args=(self._scan_id, list(folders), self._cancel))
        self._thread.start()
        return self._scan_id

    def _run(self, scan_id: int, folders: list[Path], cancel: threading.Event) -> None:
        found: list[str] = []
        last = time.monotonic()
        for folder in folders:
            for path in iter_image_files(folder):
                if cancel.is_set():
                    return
                found.append(str(path))
                if time.monotonic() - last > PROGRESS_EVERY_S:
                    self.progress.emit(scan_id, len(found))
                    last = time.monotonic()
        if not cancel.is_set():
            self.finished.emit(scan_id, sorted(found))

    def cancel(self) -> None:
        self._cancel.set()

    def stop(self) -> None:
        """Cancel and wait for the listing thread (it stops at its next file)."""
        self.cancel()
        if self._thread is not None:
            self._thread.join(5)
