"""Python's garbage collector runs on the GUI thread only, between events, and never while a job
runs (ui/workers/collector.py): collections on a job's thread, or on the GUI thread while a job's
thread ran Python, hung or crashed the program."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QWidget

from advgui.ui.workers import collector
from advgui.ui.workers.job import Job, jobs_running


class _Cycle:
    """Garbage that only the cyclic collector frees: a widget in a reference cycle, as a closed
    window's plots leave it."""

    def __init__(self) -> None:
        self.me = self
        self.widget = QWidget()


def _more_cycles(n: int) -> None:
    for _ in range(n):
        cycle = _Cycle.__new__(_Cycle)  # no widget: just a cycle that counts
        cycle.me = cycle


def _work(n: int) -> int:
    rows = [[i] for i in range(n)]  # container allocations: an automatic collection would start
    return len(rows)


def _record_collections():
    threads: list[int] = []

    def on_collect(phase: str, _info: dict) -> None:
        if phase == "start":
            threads.append(threading.get_ident())
    return threads, on_collect


def test_collections_run_on_the_gui_thread_only_and_free_a_closed_widgets_cycle(qtbot) -> None:
    gui = threading.get_ident()
    threads, on_collect = _record_collections()
    gc.callbacks.append(on_collect)
    try:
        for round_ in range(3):
            jobs = [Job(_work, 20_000 + round_) for _ in range(3)]
            assert collector.installed() and not gc.isenabled()  # off for the whole process
            garbage = _Cycle()
            gone = weakref.ref(garbage)
            del garbage
            qtbot.waitUntil(lambda: all(j.done for j in jobs), timeout=10_000)
            _more_cycles(800)  # past generation 0's threshold, so the next tick collects
            # the timer's collections reach it, younger generations first, in a few ticks
            qtbot.waitUntil(lambda: gone() is None, timeout=10_000)
    finally:
        gc.callbacks.remove(on_collect)
    assert threads, "no collection ran at all"
    assert set(threads) == {gui}, "a collection ran on a job's thread"


def test_no_collection_while_a_job_runs(qtbot) -> None:
    release = threading.Event()
    threads, on_collect = _record_collections()
    job = Job(release.wait, 30)
    gc.callbacks.append(on_collect)
    try:
        _more_cycles(2_000)  # far past generation 0's threshold
        qtbot.wait(int(4 * collector.CHECK_INTERVAL_S * 1000))  # four of the timer's ticks
        assert collector.collect_now() == 0
        assert not threads, "a collection ran while a job's thread could run Python"
        release.set()
        qtbot.waitUntil(lambda: job.done, timeout=5_000)
        qtbot.waitUntil(lambda: bool(threads), timeout=5_000)  # the next idle tick collects
    finally:
        release.set()
        gc.callbacks.remove(on_collect)
    assert set(threads) == {threading.get_ident()}


def _live_widgets_left_to_the_collector() -> list[str]:
    """Collect now, keeping the garbage, and name the Qt widgets in it that Qt has not deleted:
    each would run its C++ destructor inside a collection."""
    import shiboken6  # noqa: PLC0415

    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return [type(o).__name__ for o in gc.garbage
                if isinstance(o, QWidget) and shiboken6.isValid(o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def _open_use_and_close_a_window(tiny_model, settings, qtbot) -> None:
    from advgui.ui.dialogs.batch_dialog import BatchDialog  # noqa: PLC0415
    from advgui.ui.main_window import MainWindow  # noqa: PLC0415

    w = MainWindow(str(tiny_model), "cpu", settings=settings)
    qtbot.waitUntil(lambda: w.info is not None, timeout=60_000)
    w.show()
    for tab in range(w.tabs.count()):  # every chart and panel built and shown
        w.tabs.setCurrentIndex(tab)
        qtbot.wait(20)
    dialog = BatchDialog(w.engine.classifier, str(tiny_model.parent), w.tiers.thresholds())
    dialog.show()
    qtbot.wait(50)
    for closing in (dialog, w):
        closing.close()
        closing.deleteLater()  # as pytest-qt does; the test run's teardown then deletes
    # Every job and pool thread ended: the test then collects by hand, and a collection on this
    # thread while a pool thread runs Python is what crashed the process (ui/workers/collector).
    pool = QThreadPool.globalInstance()
    qtbot.waitUntil(lambda: not (jobs_running() or pool.activeThreadCount()), timeout=10_000)


def test_a_closed_window_leaves_no_widget_for_the_collector(tiny_model, settings, qtbot) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent  # noqa: PLC0415

    _live_widgets_left_to_the_collector()  # earlier tests' garbage
    _open_use_and_close_a_window(tiny_model, settings, qtbot)  # nothing of it is reachable now
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert _live_widgets_left_to_the_collector() == []


def test_a_job_made_off_the_gui_thread_is_refused(qtbot) -> None:
    """Every job starts on the GUI thread, where no collection can be running at that moment;
    one made on another thread is refused, not only the first one."""
    Job(_work, 10)  # the collector is installed by now
    raised: list[BaseException] = []

    def off_the_gui_thread() -> None:
        try:
            Job(_work, 10)
        except RuntimeError as exc:
            raised.append(exc)

    thread = threading.Thread(target=off_the_gui_thread)
    thread.start()
    thread.join(10)
    assert raised and "GUI thread" in str(raised[0])
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=5_000)
