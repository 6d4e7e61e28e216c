"""Issue 25: a refused study leaves nothing behind in the folders it created, and never touches
what was there before (real processes, as a user runs them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper
from PIL import Image

from tests.helpers.cli import cli
from tests.helpers.models import SIZE, tiny_classifier_model, tiny_model_file


@pytest.fixture
def setup(tmp_path) -> tuple[Path, Path]:
    tiny_model_file(tmp_path / "tiny.onnx")
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(2)
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / f"n{i:08d}_{i}.png")
    return tmp_path / "tiny.onnx", folder


def _sin_model(path: Path) -> Path:
    """The tiny classifier with a Sin on its logits: no gradient rule, so no attack."""
    model = tiny_classifier_model()
    out = model.graph.output[0].name
    for node in model.graph.node:
        if node.output[0] == out:
            node.output[0] = "pre"
    model.graph.node.append(helper.make_node("Sin", ["pre"], [out], name="odd_sin"))
    onnx.save(model, path)
    return path


def test_refused_runs_leave_no_folder_they_created(setup, tmp_path) -> None:
    model, folder = setup
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    classified = tmp_path / "classified"
    cli("study", folder, "--out", classified, "--model", model, "--classify-only")
    cli("study", tmp_path / "imgs", "--out", tmp_path / "foreign", "--model", model,
        "--classify-only", "--tiers", "quantile")
    refusals = {
        "transfer": (["--transfer-to", broken], "not an ONNX model"),
        "destroy": (["--destroy", "bogus:3"], "--destroy 'bogus:3'"),
        "model": (["--model", _sin_model(tmp_path / "sin.onnx")], "odd_sin"),
        "shard": (["--shard", "1/2", "--clean-from", tmp_path / "foreign"],
                  "classification of another study"),
    }
    for name, (extra, message) in refusals.items():
        new = tmp_path / "new" / name / "deeper"  # every folder of the path is this run's
        args = ["--model", model, *extra] if "--model" not in extra else extra
        done = cli("study", folder, "--out", new, *args, check=False)
        assert done.returncode == 2 and message in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "new" / name).exists(), (name, list(new.rglob("*")))
    # a refusal in a folder that existed keeps the folder and everything that was in it
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    done = cli("study", folder, "--out", kept, "--model", model, "--transfer-to", broken,
               check=False)
    assert done.returncode == 2 and (kept / "notes.txt").read_text() == "mine"
    # and a refusal when resuming a study keeps the study
    before = sorted(p.name for p in classified.iterdir())
    done = cli("study", folder, "--out", classified, "--model", model, "--transfer-to", broken,
               check=False)
    assert done.returncode == 2 and sorted(p.name for p in classified.iterdir()) == before
