"""Nothing leaves the machine and nothing lands in the user's home: onnxruntime 1.29+ on Linux and
macOS keeps usage events and a device id under ~/.cache/Microsoft and uploads them, unless
ORT_DISABLE_TELEMETRY is set before its first session. advgui sets it itself (advgui/__init__.py),
so a user's own environment needs nothing."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers.cli import ROOT


def _run(home, *args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), **(extra_env or {}))
    return subprocess.run([sys.executable, "-m", "advgui.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_classify_and_attack_write_nothing_under_home(tiny_model, image_folder, tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    photo = sorted(image_folder.glob("*.png"))[0]
    done = _run(home, "classify", str(photo), "--model", str(tiny_model), "--device", "cpu")
    assert done.returncode == 0, done.stderr
    done = _run(home, "attack", str(photo), "--model", str(tiny_model), "--device", "cpu",
                "--method", "iterative", "--steps", "3", "--out", str(tmp_path / "adv.png"))
    assert done.returncode == 0, done.stderr
    assert not (home / ".cache" / "Microsoft").exists(), sorted(home.rglob("*"))


def test_the_same_run_without_advgui_would_have_written_there(tiny_model, tmp_path) -> None:
    """The check above can fail: onnxruntime on its own, in the same kind of process, writes its
    event store under HOME (where this build records telemetry at all)."""
    import pytest  # noqa: PLC0415

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env["HOME"] = str(home)
    code = ("import onnxruntime as ort, sys; "
            f"ort.InferenceSession({str(tiny_model)!r}, providers=['CPUExecutionProvider'])")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    if not (home / ".cache" / "Microsoft").exists():
        pytest.skip("this onnxruntime build records no telemetry (built without it, or a CI "
                    "variable it recognises is set)")
