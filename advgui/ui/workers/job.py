"""The one way the window runs work off the GUI thread: a superqt worker on Qt's thread pool.

The work is a plain function or generator with no Qt in it; each `yield` is a progress point
where a cancel (`Job.cancel`) takes effect; results reach the GUI thread by superqt's queued
signals (yielded, returned, errored, finished). `wait` lets an owner join its job on close, so
no thread outlives the window."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Qt, QThreadPool
from superqt.utils import create_worker

from advgui.ui.workers import collector

# The window's jobs are few and long-lived (an attack, a study, a folder listing, thumbnails):
# Qt's pool defaults to one thread a core, and on a two-core laptop a running study and an
# attack would leave the thumbnails and the folder listing queued until one of them ended.
MIN_POOL_THREADS = 8
_running: set = set()  # the workers on the pool, until each has ended

# Jobs counted in on the GUI thread and out on their pool thread: the garbage collector waits
# for none to be running (ui/workers/collector.py).
_jobs_lock = threading.Lock()
_jobs_running = 0


def jobs_running() -> int:
    return _jobs_running


def _job_started() -> None:
    global _jobs_running
    with _jobs_lock:
        _jobs_running += 1


def _job_ended() -> None:
    global _jobs_running
    with _jobs_lock:
        _jobs_running -= 1


class Job:
    def __init__(self, work: Callable, *args, connect: dict[str, Callable] | None = None,
                 **kwargs) -> None:
        collector.install(jobs_running)  # before any job's thread can run Python
        pool = QThreadPool.globalInstance()
        if pool.maxThreadCount() < MIN_POOL_THREADS:
            pool.setMaxThreadCount(MIN_POOL_THREADS)
        self._done = threading.Event()
        # An owner that takes the errors gets them; superqt re-raises the others on the GUI thread.
        self.worker = create_worker(work, *args, _start_thread=False,
                                    _ignore_errors="errored" in (connect or {}), **kwargs)
        # The C++ runnable lives exactly as long as its Python wrapper (kept in _running until it
        # has ended): with Qt's default auto-delete the pool freed it on its own thread while the
        # wrapper could still be collected on the GUI thread, a double free that crashed the
        # process in the garbage collector under load. Qt reads autoDelete before run(), so a
        # runnable freed after its run() is safe.
        self.worker.setAutoDelete(False)
        # Direct: set on the pool thread itself, so wait() needs no event loop. Connected first,
        # before the owner's queued slots, and through a function that holds the event itself:
        # PySide keeps a bound method's object only weakly, and an owner that drops this Job on
        # `finished` (the engine does) freed the event under the pool thread's call (a segfault).
        done = self._done
        self.worker.finished.connect(lambda: done.set(), Qt.ConnectionType.DirectConnection)
        for signal, slot in (connect or {}).items():
            getattr(self.worker, signal).connect(slot)
        # The worker is kept alive until it has ended, whoever drops the Job first. Its own
        # `_finished` signal carries the worker, so the slot is the set's method and nothing
        # refers back to the Job: no reference cycle for the garbage collector to break on the
        # GUI thread at an arbitrary moment (a cycle through a lambda here was collected mid-run
        # and crashed the process under load), the same bookkeeping as superqt's start().
        _running.add(self.worker)
        self.worker._finished.connect(_running.discard)
        # Onto the pool now: superqt's start() would wait for the next turn of the event loop,
        # and a job asked for just before the window closes would never start, so wait() would
        # wait out its whole timeout for it.
        _job_started()
        self.worker.finished.connect(lambda: _job_ended(), Qt.ConnectionType.DirectConnection)
        pool.start(self.worker)

    def cancel(self) -> None:
        """Stop at the next yield (a plain function runs to its end)."""
        self.worker.quit()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout_s: float) -> bool:
        """Block until the work has ended; False if it had not within `timeout_s`."""
        return self._done.wait(timeout_s)
