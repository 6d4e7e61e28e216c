"""Build the one-folder PyInstaller bundle and start it headless with --self-check."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("PyInstaller")


@pytest.mark.slow
def test_bundle_builds_and_self_checks(tmp_path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "work"
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(ROOT / "packaging" / "advgui.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    exe = dist / "advgui" / "advgui"
    assert exe.exists()
    assert (dist / "advgui" / "_internal" / "models" / "inception_v3_backbone.weights").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DISPLAY")}
    started = time.perf_counter()
    run = subprocess.run([str(exe), "--self-check", "--device", "cpu"], capture_output=True,
                         text=True, timeout=300, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "self-check ok" in run.stdout and "1000 classes" in run.stdout
    assert time.perf_counter() - started < 120
