"""Thumbnails made off the GUI thread, newest request first, so big folders open at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from advgui.core.model.images import ImageError, load_rgb
from advgui.ui.workers.job import Job

THUMB = 112
# Requests still waiting: fast scrolling asks for every row it passes; the oldest requests are
# for rows long out of view (asked for again if they come back into view).
MAX_PENDING = 256
JOIN_S = 5.0  # closing: the longest wait for the thumbnail being made


class ThumbnailQueue:
    """Thread-safe: the paths waiting for a thumbnail, and whether a job is serving them."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._served = False

    def request(self, path: str) -> bool:
        """Queue a path (the latest request is served first); True when no job serves the
        queue now, so the caller starts one."""
        with self._lock:
            if path in self._pending:
                self._pending.remove(path)
            self._pending.append(path)
            del self._pending[:-MAX_PENDING]
            start, self._served = not self._served, True
            return start

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def take(self) -> str | None:
        """The newest path; None when the queue is empty (its job then ends: the next request
        starts another, never a job idling on the pool)."""
        with self._lock:
            if not self._pending:
                self._served = False
                return None
            return self._pending.pop()


def make_thumbnails(queue: ThumbnailQueue) -> Iterator[tuple[str, QImage | None, str]]:
    """Yields (path, thumbnail, "") or (path, None, why it failed) until the queue is empty."""
    while (path := queue.take()) is not None:
        try:
            im = load_rgb(Path(path))
        except ImageError as exc:
            yield path, None, str(exc)
            continue
        im.thumbnail((THUMB, THUMB), Image.Resampling.BILINEAR)
        qimg = QImage(im.tobytes(), im.width, im.height, 3 * im.width,
                      QImage.Format.Format_RGB888).copy()
        yield path, qimg, ""


class ThumbnailService(QObject):
    """Serves thumbnail requests with a Job (workers/job.py) while there are any; stop() joins
    it (no job outlives the window)."""

    ready = Signal(str, QImage)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue = ThumbnailQueue()
        self._job: Job | None = None
        self._stopped = False

    def request(self, path: str) -> None:
        if self.queue.request(path) and not self._stopped:
            self._job = Job(make_thumbnails, self.queue, connect={"yielded": self._made})

    def clear(self) -> None:
        self.queue.clear()

    def _made(self, made: tuple[str, QImage | None, str]) -> None:
        path, image, problem = made
        if image is None:
            self.failed.emit(path, problem)
        else:
            self.ready.emit(path, image)

    @property
    def running(self) -> bool:
        return self._job is not None and not self._job.done

    def stop(self) -> None:
        self._stopped = True
        self.queue.clear()
        if self._job is not None:
            self._job.cancel()
            self._job.wait(JOIN_S)
