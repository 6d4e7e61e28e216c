"""The automatic garbage collector, paused while the window's jobs run, is resumed on the GUI
thread and never runs on a job's thread: a collection there freed a closed window's widgets off
the GUI thread and deadlocked the program (a Qt lock against the GIL; the hang that ran CI out of
its 90 minutes)."""

from __future__ import annotations

import gc
import threading

from PySide6.QtWidgets import QWidget

from advgui.ui.workers.job import Job


def _work(n: int) -> int:
    rows = [[i] for i in range(n)]  # container allocations: a collection would start here
    return len(rows)


def test_no_collection_runs_on_a_jobs_thread_and_the_gui_thread_resumes_it(qtbot) -> None:
    gui = threading.get_ident()
    threads: set[int] = set()

    def on_collect(phase: str, _info: dict) -> None:
        if phase == "start":
            threads.add(threading.get_ident())

    threshold = gc.get_threshold()
    was_enabled = gc.isenabled()
    gc.enable()
    gc.set_threshold(1)  # any container allocation with the collector on starts a collection
    gc.callbacks.append(on_collect)
    try:
        for round_ in range(5):
            # Garbage with a widget in a cycle, as a closed window leaves it.
            widget = QWidget()
            widget.cycle = widget  # type: ignore[attr-defined]
            del widget
            jobs = [Job(_work, 200 + round_) for _ in range(3)]
            qtbot.waitUntil(lambda: all(j.done for j in jobs), timeout=10_000)
            # Resumed once the last job has left its thread, by the GUI thread's event loop.
            qtbot.waitUntil(gc.isenabled, timeout=5_000)
    finally:
        gc.callbacks.remove(on_collect)
        gc.set_threshold(*threshold)
        if not was_enabled:
            gc.disable()
    assert threads <= {gui}, "a collection ran on a job's thread"
    assert gui in threads  # the collector did run again, on the GUI thread
