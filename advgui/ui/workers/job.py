"""The one way the window runs work off the GUI thread: a superqt worker on Qt's thread pool.

The work is a plain function or generator with no Qt in it; each `yield` is a progress point
where a cancel (`Job.cancel`) takes effect; results reach the GUI thread by superqt's queued
signals (yielded, returned, errored, finished). `wait` lets an owner join its job on close, so
no thread outlives the window."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Qt
from superqt.utils import create_worker


class Job:
    def __init__(self, work: Callable, *args, connect: dict[str, Callable] | None = None,
                 **kwargs) -> None:
        self._done = threading.Event()
        self.worker = create_worker(work, *args, _start_thread=False, **kwargs)
        for signal, slot in (connect or {}).items():
            getattr(self.worker, signal).connect(slot)
        # Direct: set on the pool thread itself, so wait() needs no event loop.
        self.worker.finished.connect(self._done.set, Qt.ConnectionType.DirectConnection)
        self.worker.start()

    def cancel(self) -> None:
        """Stop at the next yield (a plain function runs to its end)."""
        self.worker.quit()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout_s: float) -> bool:
        """Block until the work has ended; False if it had not within `timeout_s`."""
        return self._done.wait(timeout_s)
