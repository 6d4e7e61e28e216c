"""Thumbnails made off the GUI thread, newest request first, so big folders open at once."""

from __future__ import annotations

import threading
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from advgui.core.model.images import ImageError, load_rgb

THUMB = 112
# Requests still waiting: fast scrolling asks for every row it passes; the oldest requests are
# for rows long out of view (asked for again if they come back into view).
MAX_PENDING = 256


class ThumbnailWorker(QObject):
    ready = Signal(str, QImage)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self._pending: list[str] = []
        self._lock = threading.Condition()
        self._stop = False

    def request(self, path: str) -> None:
        """Thread-safe: queue a path (the latest request is served first)."""
        with self._lock:
            if path in self._pending:
                self._pending.remove(path)
            self._pending.append(path)
            del self._pending[:-MAX_PENDING]
            self._lock.notify()

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._lock.notify()

    @Slot()
    def run(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._stop:
                    self._lock.wait()
                if self._stop:
                    return
                path = self._pending.pop()
            try:
                im = load_rgb(Path(path))
                im.thumbnail((THUMB, THUMB), Image.Resampling.BILINEAR)
                data = im.tobytes()
                qimg = QImage(data, im.width, im.height, 3 * im.width,
                              QImage.Format.Format_RGB888).copy()
                self.ready.emit(path, qimg)
            except ImageError as exc:
                self.failed.emit(path, str(exc))


class ThumbnailService(QObject):
    """Owns the thumbnail thread; stop() joins it (no dangling QThread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = ThumbnailWorker()
        self.thread = QThread(self)
        self.thread.setObjectName("thumbnails")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.thread.start()

    def stop(self) -> None:
        self.worker.stop()
        self.thread.quit()
        self.thread.wait(5000)
