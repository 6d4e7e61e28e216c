"""Build the one-folder PyInstaller bundle; with its own advgui-cli run a two-image study at two
eps that writes every report and figure, and start the window headless with --self-check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("PyInstaller")

# What a finished study writes (the figures need matplotlib inside the bundle).
REPORTS = ("images.csv", "clean.csv", "summary.csv", "fragility.csv", "fragility_correlation.csv",
           "fragility.png", "error_vs_eps.png", "manifest.json", "study.json")


def _size_mb(folder: Path) -> int:
    return round(sum(p.stat().st_size for p in folder.rglob("*")
                     if p.is_file() and not p.is_symlink()) / 2**20)


@pytest.mark.slow
def test_bundle_builds_and_self_checks(tmp_path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "work"
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(ROOT / "packaging" / "advgui.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    exe, cli = dist / "advgui" / "advgui", dist / "advgui" / "advgui-cli"
    assert exe.exists() and cli.exists()
    internal = dist / "advgui" / "_internal"
    assert sorted(p.name for p in (dist / "advgui").iterdir()) == ["_internal", "advgui",
                                                                   "advgui-cli"]
    assert (internal / "models" / "inception_v3_backbone.weights").exists()
    assert (internal / "matplotlib").is_dir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DISPLAY")}
    started = time.perf_counter()
    run = subprocess.run([str(exe), "--self-check", "--device", "cpu"], capture_output=True,
                         text=True, timeout=300, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "self-check ok" in run.stdout and "1000 classes" in run.stdout
    self_check_s = time.perf_counter() - started
    assert self_check_s < 120
    # a user without Python: the bundled command line runs a study with a shipped model
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for photo in sorted((ROOT / "advgui" / "samples" / "images").iterdir())[:2]:
        shutil.copy(photo, imgs)
    study = subprocess.run(
        [str(cli), "study", str(imgs), "--out", str(tmp_path / "study"), "--eps", "4", "8",
         "--methods", "fast", "--targets", "least-likely", "--model", "efficientnet_lite0",
         "--device", "cpu"], capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert study.returncode == 0, study.stderr[-3000:]
    for name in REPORTS:
        assert (tmp_path / "study" / name).exists(), name
    assert len((tmp_path / "study" / "images.csv").read_text().splitlines()) == 1 + 2 * 2
    assert "Traceback" not in study.stderr
    print(f"\nbundle {_size_mb(dist / 'advgui')} MiB, self-check {self_check_s:.1f} s")
