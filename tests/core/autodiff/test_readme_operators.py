"""The docs' list of supported ONNX operators (docs/gradient.md, moved there from the README) is the gradient builder's table, exactly.

The list is written by scripts/supported_ops.py; a rule added or removed without rerunning it
(`PYTHONPATH=. python scripts/supported_ops.py --write`) fails here.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from advgui.core.autodiff.table import NON_DIFFERENTIABLE, SUPPORTED_OPS

ROOT = Path(__file__).resolve().parents[3]


def _script():
    spec = importlib.util.spec_from_file_location("supported_ops",
                                                  ROOT / "scripts" / "supported_ops.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_lists_exactly_the_supported_operators() -> None:
    script = _script()
    block = script.readme_block((ROOT / "docs" / "gradient.md").read_text(encoding="utf-8"))
    assert block is not None, "docs/gradient.md lost the supported-operators markers"
    differentiated, passed = block.split("\n\n")
    assert re.findall(r"`(\w+)`", differentiated) == sorted(SUPPORTED_OPS)
    assert re.findall(r"`(\w+)`", passed) == sorted(NON_DIFFERENTIABLE)
    assert block == script.markdown(), "rerun scripts/supported_ops.py --write"
