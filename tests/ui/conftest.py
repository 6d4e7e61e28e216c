"""pytest-qt fixtures: isolated settings and windows (tiny_model, image_folder: tests/conftest.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings


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
        for name, owner in (("engine", w.engine), ("thumbnails", w.thumbs)):
            assert not owner.running, f"the {name} job left running"
