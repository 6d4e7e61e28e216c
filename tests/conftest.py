"""Shared test set-up: Qt renders offscreen unless a display is chosen explicitly; a tiny
classifier on disk and a folder of images for the CLI and the window. Two autouse guards: every
test gets its own QSettings (never the user's), and a test that leaves a Python thread or a
QThread running fails."""

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import pytest  # noqa: E402
import shiboken6  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QCoreApplication, QEvent, QSettings, QStandardPaths, QThread, QThreadPool)

from advgui.core.model.classes import ClassList  # noqa: E402
from tests.helpers.models import SIZE, tiny_classifier_model  # noqa: E402

# A hang prints every thread's Python and native stack and ends the run (tests/helpers/hang_watch).
pytest_plugins = ["tests.helpers.hang_watch"]


@pytest.fixture
def tiny_model(tmp_path):
    model = tiny_classifier_model()
    classes = ClassList(tuple(f"n{i:08d}" for i in range(10)), tuple(f"thing {i}" for i in range(10)))
    for k, v in classes.to_metadata().items():
        model.metadata_props.add(key=k, value=v)
    path = tmp_path / "tiny.onnx"
    onnx.save(model, path)
    return path


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(5):
        Image.fromarray(rng.integers(0, 256, (SIZE * 2, SIZE * 2, 3), dtype=np.uint8)).save(
            folder / f"n{i % 3:08d}_sample{i}.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    return folder



# -- autouse guards -----------------------------------------------------------------------------
THREAD_GRACE_S = 2.0  # a worker told to stop ends at its next step: let it, then judge
_started_qthreads: list[QThread] = []
_qthread_start = QThread.start


def _recording_start(self, *args, **kwargs):
    """Qt keeps no list of QThreads: remember each one that Python starts."""
    _started_qthreads.append(self)
    return _qthread_start(self, *args, **kwargs)


QThread.start = _recording_start


def _running_qthreads() -> list[QThread]:
    return [t for t in _started_qthreads if shiboken6.isValid(t) and t.isRunning()]


def _python_threads() -> set[threading.Thread]:
    # Dummy threads are Qt's own threads that once ran Python code; CPython never forgets them.
    return {t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


def _pool_busy() -> bool:
    return QThreadPool.globalInstance().activeThreadCount() > 0


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """Fail the test that leaves a thread, a QThread or a thread-pool job running (a grace wait
    first, with Qt's events delivered, for workers already told to stop)."""
    before = _python_threads()
    _started_qthreads.clear()
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    while True:
        left = [t.name for t in _python_threads() - before if t.is_alive()]
        qthreads = [t.objectName() or repr(t) for t in _running_qthreads()]
        pool = _pool_busy()
        if not (left or qthreads or pool) or time.monotonic() > deadline:
            break
        if QCoreApplication.instance() is not None:
            QCoreApplication.processEvents()
        time.sleep(0.01)
    _started_qthreads.clear()
    assert not left, f"Python threads left running: {left}"
    assert not qthreads, f"QThreads left running: {qthreads}"
    assert not pool, "thread-pool jobs (superqt workers) left running"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    """After pytest-qt has closed the test's widgets and asked Qt to delete them (deleteLater) and
    every fixture has ended: delete them now. processEvents() outside a running event loop (as
    pytest-qt calls it between tests) never runs deferred deletes, so a closed window's whole Qt
    tree otherwise lived on until the garbage collector met its Python cycles, running Qt's
    destructors at whatever line of a later test that was."""
    result = yield
    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return result


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory):
    """QSettings() and QStandardPaths in every test point at a folder of the test's own, under
    a test organisation name: no test reads or writes the user's settings."""
    folder = tmp_path_factory.mktemp("qsettings")
    names = (QCoreApplication.organizationName(), QCoreApplication.applicationName())
    fmt = QSettings.defaultFormat()
    QStandardPaths.setTestModeEnabled(True)
    QCoreApplication.setOrganizationName("advgui-tests")
    QCoreApplication.setApplicationName("advgui-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    yield folder
    QSettings.setDefaultFormat(fmt)
    QCoreApplication.setOrganizationName(names[0])
    QCoreApplication.setApplicationName(names[1])


@pytest.fixture(autouse=True)
def no_unexpected_modal_box(monkeypatch):
    """A message box nobody answers blocks an offscreen test run for ever (CI would sit out its
    whole time limit): one that a test did not arrange to answer fails that test at once with
    the box's text instead. Tests that expect a box patch QMessageBox.exec themselves, after
    this."""
    from PySide6.QtWidgets import QMessageBox

    def unexpected(box, *args, **kwargs):
        raise AssertionError(f"unexpected modal box: {box.windowTitle()!r}: {box.text()!r}")

    monkeypatch.setattr(QMessageBox, "exec", unexpected)
