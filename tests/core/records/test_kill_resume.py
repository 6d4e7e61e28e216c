"""Real subprocesses: SIGKILL mid-study then resume, and Ctrl-C (SIGINT) keeping every row."""

from __future__ import annotations

import csv
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import onnx
from PIL import Image

from advgui.core.model.classes import ClassList
from tests.helpers.cli import start_cli
from tests.helpers.models import SIZE, tiny_classifier_model

IMAGES = 24


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    model = tiny_classifier_model()
    classes = ClassList(tuple(f"n{i:08d}" for i in range(10)), tuple(f"c{i}" for i in range(10)))
    for k, v in classes.to_metadata().items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, tmp_path / "tiny.onnx")
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(2)
    for i in range(IMAGES):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / f"n{i % 10:08d}_{i}.png")
    return tmp_path / "tiny.onnx", folder


def _study(model: Path, folder: Path, out: Path, steps: int) -> subprocess.Popen:
    return start_cli("study", folder, "--out", out, "--model", model, "--device", "cpu",
                     "--batch", "2", "--eps", "8", "--steps", steps, "--alpha", "1",
                     "--high", "0.2", "--medium", "0.12")


def _rows(out: Path) -> list[dict]:
    path = out / "images.csv"
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _wait_rows(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> None:
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        if len(_rows(out)) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"study did not reach {n} rows (exit {proc.poll()})")


def _keys(rows: list[dict]) -> list[tuple]:
    return [(r["file"], r["method"], r["target"], r["eps"]) for r in rows]


def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path) -> None:
    model, folder = _setup(tmp_path)
    out = tmp_path / "out"
    proc = _study(model, folder, out, steps=60)
    _wait_rows(proc, out, 10)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _rows(out)  # readable after a kill
    assert 10 <= len(before) < IMAGES * 4
    done = _study(model, folder, out, steps=60)
    stdout, stderr = done.communicate(timeout=300)
    assert done.returncode == 0, stderr
    after = _rows(out)
    assert len(after) == len(set(_keys(after))) == IMAGES * 4  # duplicates 0, lost 0
    assert set(_keys(before)) <= set(_keys(after))
    kept = {k: r for k, r in zip(_keys(after), after)}
    for row in before:  # finished rows are kept as they were, not recomputed
        key = (row["file"], row["method"], row["target"], row["eps"])
        assert kept[key]["adv_top5"] == row["adv_top5"]
    assert (out / "summary.csv").exists() and "finished" in stdout


def test_ctrl_c_stops_after_the_batch_and_keeps_rows(tmp_path) -> None:
    model, folder = _setup(tmp_path)
    out = tmp_path / "out"
    proc = _study(model, folder, out, steps=60)
    _wait_rows(proc, out, 6)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "cancelled" in stdout
    rows = _rows(out)
    assert 6 <= len(rows) < IMAGES * 4
    assert len(rows) == len(set(_keys(rows)))
    summary = list(csv.DictReader(open(out / "summary.csv")))
    assert summary and int(summary[-1]["images"]) > 0
