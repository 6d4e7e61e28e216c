"""Shared test set-up: Qt renders offscreen unless a display is chosen explicitly; a tiny
classifier on disk and a folder of images for the CLI and the window."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from advgui.core.model.classes import ClassList  # noqa: E402
from tests.core.test_engine import SIZE, tiny_classifier_model  # noqa: E402


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

