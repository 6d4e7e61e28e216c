"""`advgui --self-check`, as a bundle or an install is checked: one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys


def test_self_check_on_a_device_that_cannot_start_says_so_in_one_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    run = subprocess.run([sys.executable, "-m", "advgui", "--self-check", "--device", "cuda:0"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in run.stderr
    if run.returncode == 0:  # a machine with a working GPU
        assert "self-check ok" in run.stdout
    else:
        failed = [line for line in run.stderr.splitlines() if line.startswith("self-check failed")]
        assert run.returncode == 1 and len(failed) == 1 and "CUDA" in failed[0]


def test_the_window_module_run_with_python_m_starts_the_window(tmp_path) -> None:
    """`python -m advgui.ui.app` (as the guides for a display start it) returned at once, exit 0,
    no window and not a word: the module had no main guard."""
    run = subprocess.run([sys.executable, "-m", "advgui.ui.app", "--help"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "advgui desktop window" in run.stdout


def test_about_names_the_model_device_and_the_runtime() -> None:
    from advgui.core.app_state.window_state import ModelInfo
    from advgui.core.model.session import describe_runtime
    from advgui.ui.dialogs.about import about_html

    info = ModelInfo("tiny", "CPU (this onnxruntime has no CUDA provider)", ("a",), ("n1",), 8,
                     (1.0, 1.0, 1.0), "0" * 64)
    html = about_html(info)
    assert "Device: CPU (this onnxruntime has no CUDA provider)" in html
    assert f"<b>Runtime:</b> {describe_runtime()}" in html
