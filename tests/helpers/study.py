"""Inputs and drivers of a study: image folders, the tiny model(s) beside them, the in-process
Study driven batch by batch, and the ``advgui-cli study`` arguments the record tests use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from advgui.core.model.classes import ClassList
from advgui.core.model.classifier import Classifier
from advgui.core.study.engine import Study
from tests.helpers.models import SIZE, tiny_classifier_model, tiny_model_file


def make_folder(root, n: int = 6):
    rng = np.random.default_rng(0)
    root.mkdir()
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (SIZE + 4, SIZE, 3), dtype=np.uint8)).save(
            root / f"c{i % 3}_img {i}.png")
    (root / "=cmd().png").write_bytes(b"not an image")
    (root / "empty.jpg").write_bytes(b"")
    return root


def classifier() -> Classifier:
    classes = ClassList(tuple(f"c{i}" for i in range(10)), tuple(f"name{i}" for i in range(10)))
    return Classifier(tiny_classifier_model(), name="tiny", classes=classes, device="cpu")


def run(study: Study, stop_after: int | None = None, on_batch=None):
    """Drive the study; stop after that many batches, calling on_batch(n) before each."""
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        if on_batch:
            on_batch(calls["n"])
        return stop_after is not None and calls["n"] > stop_after

    gen = study.run(should_stop)
    while True:
        try:
            next(gen)
        except StopIteration as done:
            return done.value


def write_images(folder: Path, names: list[str], seed: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / name, format="PNG")
    return folder


def model_and_images(tmp_path) -> tuple[Path, Path, Path]:
    """The tiny model, eight wnid-named images and where the study goes."""
    model = tiny_model_file(tmp_path / "tiny.onnx")
    folder = write_images(tmp_path / "imgs", [f"n{i % 10:08d}_{i}.png" for i in range(8)])
    return model, folder, tmp_path / "out"


def study_args(folder: Path, out: Path, model: Path, *extra: str) -> list:
    return ["study", folder, "--out", out, "--model", model, "--device", "cpu", "--batch", "2",
            "--high", "0.2", "--medium", "0.12", *extra]


def two_models_and_images(tmp_path):
    """A study model, a second (transfer) model and eight wnid-named images."""
    model = tiny_model_file(tmp_path / "tiny.onnx")
    tiny_model_file(tmp_path / "other.onnx", seed=11)
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(8)
    for i in range(8):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / f"n{i % 10:08d}_{i}.png")
    return model, tmp_path / "other.onnx", folder
