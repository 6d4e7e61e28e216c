"""The Python API (``import advgui``): light to import, each function on the tiny model, and the
notebook example run as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import advgui
from tests.helpers.models import SIZE, tiny_model_file

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _fresh(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_import_advgui_loads_neither_onnxruntime_nor_qt():
    loaded = _fresh("import sys, advgui; advgui.load_model; "
                    "print(sorted(m for m in sys.modules if m.split('.')[0] in "
                    "('onnxruntime', 'onnx', 'PySide6', 'matplotlib')))")
    assert loaded == "[]"


def test_names_are_stable_and_documented():
    for name in ("load_model", "classify", "attack", "run_attack", "run_study", "read_study"):
        assert getattr(advgui, name).__doc__, name
    assert set(advgui.API) <= set(dir(advgui))


def test_classify_attack_study_and_read(tmp_path):
    model_path = tmp_path / "tiny.onnx"
    tiny_model_file(model_path)
    model = advgui.load_model(model_path, device="cpu")
    pixels = np.random.default_rng(0).integers(0, 256, (3, SIZE, SIZE, 3)).astype(np.uint8)
    found = advgui.classify(model, list(pixels), top=3)
    assert len(found) == 3 and len(found[0].top) == 3 and found[0].tier in ("high", "medium", "low")

    steps = advgui.attack(model, pixels[0], method="iterative", target="least-likely", eps=8,
                          steps=3)
    seen = []
    result = advgui.run_attack(steps, seen.append)
    assert len(seen) == 3 and result.pixels.shape[0] == 1

    folder = tmp_path / "photos"
    folder.mkdir()
    from PIL import Image
    for i, p in enumerate(pixels):
        Image.fromarray(p).save(folder / f"{i}.png")
    outcome = advgui.run_study(folder, tmp_path / "study", model=model, methods="fast",
                               targets=["least-likely"], eps=[2, 8], per_tier=3)
    assert outcome.rows == 6 and not outcome.cancelled
    # Reading a study needs no onnxruntime: in a fresh interpreter, it stays unloaded.
    out = _fresh(f"import sys, advgui; r = advgui.read_study({str(tmp_path / 'study')!r}); "
                 "print(len(r.images), sorted({row['eps'] for row in r.summary}), "
                 "'onnxruntime' in sys.modules)")
    assert out == "6 ['2', '8'] False"


def test_the_notebook_example_runs(tmp_path):
    model_path = tmp_path / "tiny.onnx"
    tiny_model_file(model_path)
    run = subprocess.run([sys.executable, str(ROOT / "docs/examples/notebook_sweep.py"),
                          str(model_path)], cwd=tmp_path, env=ENV, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    table = run.stdout.split("top-1 changed", 1)[1].splitlines()[1:]
    assert [line.split()[0] for line in table] == ["1", "2", "4", "8"]
