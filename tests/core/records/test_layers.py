"""Reading, summarising, merging and drawing a study load no ONNX: the CSV readers, every module
of analysis and records, and the merge's readers, each imported in a fresh interpreter."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import advgui.core.analysis
import advgui.core.records
from advgui.core.records import schema
from advgui.core.study import destroy, transfer

READERS = ["advgui.core.study.reports", "advgui.core.records.shards", "advgui.cli.progress"]
MERGE = ["advgui.core.study.merge"]


def modules_of(package) -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + "."))


def onnx_loaded_by(modules: list[str]) -> dict[str, list[str]]:
    """{module: the ONNX modules importing it loaded} in one fresh interpreter, modules in turn
    (each after the ones before it, so a later one is blamed only for what it adds)."""
    script = (
        "import importlib, json, sys\n"
        "out = {}\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    out[name] = sorted(m for m in ('onnxruntime', 'onnx') if m in sys.modules)\n"
        "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_readers_analysis_and_records_never_load_onnxruntime() -> None:
    modules = modules_of(advgui.core.records) + modules_of(advgui.core.analysis) + READERS + MERGE
    loaded = onnx_loaded_by(modules)
    assert set(loaded) == set(modules)
    assert {m: v for m, v in loaded.items() if v} == {}


def test_the_summary_tables_beside_read_the_columns_the_extras_write() -> None:
    assert schema.TRANSFER_SUMMARY_COLUMNS == transfer.SUMMARY_COLUMNS
    assert schema.DESTROY_SUMMARY_COLUMNS == destroy.SUMMARY_COLUMNS
