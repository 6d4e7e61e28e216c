"""pytest-qt fixtures: isolated settings and windows (tiny_model, image_folder: tests/conftest.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QThread


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings):
    from advgui.ui.main_window import MainWindow

    made = []

    def make(model: str = "", s: QSettings | None = None):
        w = MainWindow(model, "cpu", settings=s or settings)
        qtbot.addWidget(w)
        made.append(w)
        qtbot.waitUntil(lambda: w.info is not None, timeout=60_000)
        return w

    yield make
    for w in made:
        w.close()
        for thread in (w.engine_thread, w.thumbs.thread):
            assert not thread.isRunning(), f"QThread {thread.objectName()} left running"


def threads_running(window) -> list[QThread]:
    return [t for t in (window.engine_thread, window.thumbs.thread) if t.isRunning()]
