"""Issue 25: the documented Slurm and Ray recipes run as written. The commands between the
``<!-- recipe:NAME -->`` markers are taken from docs/study-folder.md (moved there from the README
in issue 26) and run by bash on a small folder
with the tiny model: ``advgui-cli`` is this tree's command line (with ``--model`` the tiny model,
``--device cuda`` read as cpu and few attack steps), and ``sbatch`` runs a job at once, an
array's tasks one after another with SLURM_ARRAY_TASK_ID set. The merged study must be the
unsharded study, row for row."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.cli import ROOT, cli, rows
from tests.helpers.models import SIZE, tiny_model_file

STEPS = "3"

# advgui-cli as the recipe calls it: this tree, the tiny model, the CPU, few steps.
FAKE_CLI = """#!{python}
import os, subprocess, sys
args = ["cpu" if a == "cuda" else a for a in sys.argv[1:]]
if args and args[0] == "study":
    args += ["--model", os.environ["TINY_MODEL"], "--steps", "{steps}"]
sys.exit(subprocess.call([{python!r}, "-m", "advgui.cli.main", *args]))
"""

# sbatch as the recipe calls it: --wrap runs its command, a script runs once, or once per index
# of its #SBATCH --array; --export=ALL,NAME=VALUE sets the environment; dependencies hold
# because every job has finished when sbatch returns.
FAKE_SBATCH = """#!{python}
import itertools, os, re, subprocess, sys
env, wrap, script = dict(os.environ), None, None
args = iter(sys.argv[1:])
for a in args:
    if a == "--wrap":
        wrap = next(args)
    elif a.startswith("--export="):
        env.update(kv.split("=", 1) for kv in a.split("=", 1)[1].split(",") if "=" in kv)
    elif not a.startswith("-"):
        script = a
if wrap is not None:
    code = subprocess.call(["bash", "-c", wrap], env=env)
else:
    text = open(script).read()
    span = re.search(r"#SBATCH .*--array=(\\d+)-(\\d+)", text)
    indices = range(int(span[1]), int(span[2]) + 1) if span else [None]
    code = 0
    for k in indices:
        task = dict(env, **({{"SLURM_ARRAY_TASK_ID": str(k)}} if k else {{}}))
        code = code or subprocess.call(["bash", script], env=task)
if code:
    sys.exit(code)
print(next(n for n in itertools.count(1000 + os.getpid())))
"""


def recipe(name: str) -> str:
    text = (ROOT / "docs" / "study-folder.md").read_text(encoding="utf-8")
    block = re.search(rf"<!-- recipe:{name} -->\n(.*?)<!-- /recipe:{name} -->", text, re.S)
    assert block, f"docs/study-folder.md has no recipe:{name} markers"
    return "\n".join(line[4:] for line in block[1].splitlines())


@pytest.fixture
def place(tmp_path) -> tuple[Path, dict]:
    """A folder of 12 small photos, the tiny model, and a PATH with the two fakes."""
    tiny_model_file(tmp_path / "tiny.onnx")
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(7)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / f"n{i % 10:08d}_{i}.png")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for name, body in (("advgui-cli", FAKE_CLI), ("sbatch", FAKE_SBATCH)):
        (bin_ / name).write_text(body.format(python=sys.executable, steps=STEPS))
        (bin_ / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT), "TINY_MODEL": str(tmp_path / "tiny.onnx"),
           "IMGS": str(folder), "ADVGUI_THREADS": "1"}
    return folder, env


def assert_is_the_unsharded_study(merged: Path, whole: Path, parts: int) -> None:
    assert (merged / "fragility.png").exists()
    # error_vs_eps.png is drawn when the study has more than one eps
    assert (merged / "error_vs_eps.png").exists() == (whole / "error_vs_eps.png").exists()
    for name in ("images.csv", "clean.csv", "summary.csv", "fragility.csv"):
        assert rows(merged / name) == rows(whole / name), name
    manifest = json.loads((merged / "manifest.json").read_text())
    assert len(manifest["merged_from"]) == parts
    assert manifest["rows"] == len(rows(whole / "images.csv")) > 0


def test_the_slurm_recipe_runs_as_written(place, tmp_path) -> None:
    folder, env = place
    script, _, submit = recipe("slurm").partition("\n\n")
    (tmp_path / "advgui.sbatch").write_text(script + "\n")
    done = subprocess.run(["bash", "-euc", submit], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    # the same options the shards ran with, as one unsharded study
    options = re.search(r"--per-tier.*", script)[0].split()
    cli("study", folder, "--out", tmp_path / "whole", "--model", env["TINY_MODEL"], "--device",
        "cpu", "--steps", STEPS, *options, options=False)
    assert (tmp_path / "whole" / "error_vs_eps.png").exists()
    assert_is_the_unsharded_study(tmp_path / "study", tmp_path / "whole", 8)


def test_the_ray_recipe_runs_as_written(place, tmp_path) -> None:
    pytest.importorskip("ray")
    folder, env = place
    command = recipe("ray").replace("IMGS", '"$IMGS"').replace("[ADDRESS]", "--shards 2")
    done = subprocess.run(["bash", "-euc", command], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    cli("study", folder, "--out", tmp_path / "whole", "--model", env["TINY_MODEL"], "--device",
        "cpu", "--steps", STEPS, options=False)
    assert_is_the_unsharded_study(tmp_path / "study", tmp_path / "whole", 2)
