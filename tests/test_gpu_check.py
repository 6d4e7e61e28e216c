"""Issue 25: the prepared GPU check (scripts/gpu_check/) runs; here its CPU half, on the tiny
model, as a dry run of the script a GPU machine will run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers.cli import ROOT
from tests.helpers.models import tiny_model_file


def test_the_gpu_check_runs_its_cpu_half(tmp_path) -> None:
    model = tiny_model_file(tmp_path / "tiny.onnx")
    out = tmp_path / "gpu_check.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gpu_check" / "check.py"), "--cpu-only",
         "--model", str(model), "--cpu-images", "2", "--gradient-images", "2", "--steps", "2",
         "--out", str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    placed = report["gradient"]["providers_cpu"]["nodes_per_provider"]
    assert set(placed) == {"CPUExecutionProvider"} and placed["CPUExecutionProvider"] > 10
    for method in ("fast", "iterative"):
        assert report["study_cpu"][method]["images"] == 2
        assert report["study_cpu"][method]["images_per_s"] > 0


def test_parts_split_and_assemble_with_a_checksum(tmp_path) -> None:
    big = tmp_path / "models" / "big.weights"
    big.parent.mkdir()
    big.write_bytes(os.urandom(3 * 2**20))
    parts = ROOT / "scripts" / "gpu_check" / "parts.sh"
    env = {**os.environ, "ADVGUI_STASH": str(tmp_path / "stash")}

    def sh(*args, cwd=tmp_path):
        return subprocess.run(["bash", str(parts), *map(str, args)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=60)

    assert sh("split", tmp_path / "parts", "models/big.weights").returncode == 0
    there = tmp_path / "there"
    there.mkdir()
    for folder in sorted((tmp_path / "parts").glob("[0-9]*")):
        assert sh("stash", folder).returncode == 0
    done = sh("assemble", cwd=there)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (there / "models" / "big.weights").read_bytes() == big.read_bytes()
    torn = next((tmp_path / "stash").glob("*.part.000"))
    torn.write_bytes(torn.read_bytes()[:-1])
    bad = sh("assemble", cwd=there)
    assert bad.returncode == 1 and "SHA-256" in bad.stdout
