"""What `advgui-cli summary` and `merge` cost to start: the command line's parser and the
commands that only read CSVs load no onnx or onnxruntime (issue 21: merging CSVs used to import
the gradient builder through a 16-module chain)."""

from __future__ import annotations

import json
import subprocess
import sys


def _loaded_after(code: str) -> dict:
    script = (code + "\nimport json, sys\n"
              "print(json.dumps({'onnxruntime': 'onnxruntime' in sys.modules,"
              " 'onnx': 'onnx' in sys.modules, 'modules': len(sys.modules)}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_parser_summary_and_merge_load_no_onnx() -> None:
    for code in ("import advgui.cli.main as m; m.build_parser()",
                 "import advgui.cli.summary", "import advgui.cli.merge",
                 "import advgui.core.study.merge"):
        loaded = _loaded_after(code)
        assert not loaded["onnxruntime"] and not loaded["onnx"], (code, loaded)


def test_summary_runs_without_loading_onnxruntime(tmp_path) -> None:
    """`advgui-cli summary` on a folder that is not a study: refused in one line, and the
    process never imported onnxruntime on the way."""
    code = ("import sys, advgui.cli.main as m\n"
            f"rc = m.main(['summary', {str(tmp_path)!r}])\n")
    loaded = _loaded_after(code)
    assert not loaded["onnxruntime"], loaded
