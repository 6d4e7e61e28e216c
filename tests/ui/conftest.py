"""pytest-qt fixtures: a tiny classifier on disk, a folder of images, an isolated window."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, QThread

from advgui.core.classes import ClassList
from tests.core.test_engine import SIZE, tiny_classifier_model


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
