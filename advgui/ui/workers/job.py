"""The one way the window runs work off the GUI thread: a superqt worker on Qt's thread pool.

The work is a plain function or generator with no Qt in it; each `yield` is a progress point
where a cancel (`Job.cancel`) takes effect; results reach the GUI thread by superqt's queued
signals (yielded, returned, errored, finished). `wait` lets an owner join its job on close, so
no thread outlives the window."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThreadPool, QTimer, Signal
from superqt.utils import create_worker

# The window's jobs are few and long-lived (an attack, a study, a folder listing, thumbnails):
# Qt's pool defaults to one thread a core, and on a two-core laptop a running study and an
# attack would leave the thumbnails and the folder listing queued until one of them ended.
MIN_POOL_THREADS = 8
_running: set = set()  # the workers on the pool, until each has ended

# The automatic garbage collector is paused while any job runs and resumes when the last one has
# ended: a collection on the GUI thread while a job's thread ran Python crashed the process
# (segfaults and aborts "Garbage-collecting" in 3 of 4 full test runs, with a study, a model load
# or a figure on the job's thread). Reference counting frees everything without a cycle
# meanwhile; the cycles wait for the next idle moment.
#
# It resumes on the GUI thread, never on the job's: re-enabled on the pool thread (where a job's
# `finished` is delivered directly), the worker's next allocation, still inside superqt's run(),
# started a collection there that freed a closed window's widgets off the GUI thread. Its
# ~QObject held a Qt lock and waited for the GIL while the GUI thread, deleting widgets too, held
# the GIL and waited for that lock: the whole program hung (a full test run on a clean clone,
# stacks read with py-spy; CI ran out of its 90 minutes there).
_jobs_lock = threading.Lock()
_jobs_running = 0
_collector_was_enabled = True  # before the first of the jobs running now paused it
_resume_pending = False  # the last job has ended; the GUI thread has not resumed it yet
RESUME_RETRY_MS = 20


class _CollectorGate(QObject):
    """Lives on the GUI thread; a job's thread asks it to resume the collector there."""

    resume = Signal()

    def __init__(self) -> None:
        super().__init__()
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        self.resume.connect(self._resume, Qt.ConnectionType.QueuedConnection)

    def _resume(self) -> None:
        global _resume_pending
        with _jobs_lock:
            if _jobs_running or not _resume_pending:
                return  # a job started meanwhile: its end resumes it
            # The pool thread that ended the last job may still be leaving superqt's run().
            if QThreadPool.globalInstance().activeThreadCount():
                QTimer.singleShot(RESUME_RETRY_MS, self._resume)
                return
            _resume_pending = False
            if _collector_was_enabled:
                gc.enable()


_gate: _CollectorGate | None = None


def _job_started() -> None:
    """On the GUI thread, as the job goes onto the pool."""
    global _jobs_running, _collector_was_enabled, _resume_pending, _gate
    if _gate is None:
        _gate = _CollectorGate()
    with _jobs_lock:
        if _jobs_running == 0:
            # Off only because our resume has not arrived yet: it was on before, and stays so.
            if not _resume_pending:
                _collector_was_enabled = gc.isenabled()
            _resume_pending = False
            gc.disable()
        _jobs_running += 1


def _job_ended() -> None:
    """On the job's pool thread: count it out; the last one asks the GUI thread to resume."""
    global _jobs_running, _resume_pending
    with _jobs_lock:
        _jobs_running -= 1
        last = _jobs_running == 0
        if last:
            _resume_pending = True
    if last and _gate is not None:
        _gate.resume.emit()


class Job:
    def __init__(self, work: Callable, *args, connect: dict[str, Callable] | None = None,
                 **kwargs) -> None:
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
