"""Python's cyclic garbage collector runs on the GUI thread only, between events, while no job runs.

CPython starts a collection on whichever thread crosses its allocation threshold, at whatever
line it is on. A collection frees the cycles a closed window leaves (pyqtgraph's plots, menus,
actions: about 12,000 objects after four windows in the tests) and so runs Qt's destructors there.
Three failures came from that, each seen here:
- on a job's pool thread: Qt widgets freed off the GUI thread; ~QMenu held a Qt lock and waited
  for the GIL while the GUI thread held the GIL and waited for that lock (the whole program hung;
  stacks read with py-spy);
- on the GUI thread while a job's thread ran Python: segfaults and aborts "Garbage-collecting"
  (3 of 4 full test runs, with a study, a model load or a figure on the job's thread);
- most likely the third: CI stopped twice in the same test, in native code under one line of
  it, with no job running and no other Python thread. faulthandler shows no native frames, so
  what it waited on is not known (tests/helpers/hang_watch.py now prints them); a collection
  freeing the previous tests' windows at that line is the one native call that line can make
  for long.

So the automatic collector is off for the process, as in Camelot, whence the recipe (pyqtgraph
ships it as GarbageCollector but never starts it itself: a timer on the GUI thread collects each
generation when its count passes the threshold it would have used). We add one condition: no job
is on the pool. Reference counting still frees everything without a cycle at once.

"Between events" means at a tick of any event loop on the GUI thread: a modal box's exec() or a
file dialog runs one, so a collection can also run inside the slot that opened it. And while a
job runs nothing is collected, so a study's cycles wait for its end. Measured with the tiny test
model on 20 and 80 images: the attacks leave 62 objects in cycles whatever the number of images;
the report figures drawn at the end leave about 190 an image (matplotlib), freed at the next tick
after the study."""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QThread, QThreadPool
from pyqtgraph.util.garbage_collector import GarbageCollector

CHECK_INTERVAL_S = 0.5


class _GuiThreadCollector(GarbageCollector):
    def __init__(self, busy) -> None:
        self._busy = busy
        super().__init__(interval=CHECK_INTERVAL_S)

    def check(self) -> None:
        if self._busy() or QThreadPool.globalInstance().activeThreadCount():
            return  # a job's thread may be running Python: the next tick decides
        super().check()


_collector: _GuiThreadCollector | None = None


def install(busy) -> None:
    """On the GUI thread (a QCoreApplication must exist), at every Job's start: the first call
    installs it, the later ones only check the thread. `busy()` says whether a job is running.
    A job started on another thread could start while a collection runs: refused."""
    global _collector
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("jobs start on the GUI thread, after the QApplication exists")
    if _collector is None:
        _collector = _GuiThreadCollector(busy)


def installed() -> bool:
    return _collector is not None


def collect_now() -> int:
    """A full collection now, on the calling (GUI) thread, if no job runs; the number freed."""
    if _collector is None or _collector._busy() or QThreadPool.globalInstance().activeThreadCount():
        return 0
    return gc.collect()
