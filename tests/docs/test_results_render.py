"""The published results pages (docs/results/*.md) are what their committed study folders render:
scripts/render_results.py --check, plus proof that the check can fail (a changed cell changes the
page; a rate its counts do not give is refused)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "render_results.py"


def _load():
    spec = importlib.util.spec_from_file_location("render_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_results = _load()


def test_committed_pages_match_their_records():
    assert render_results.drifted() == [], "run: python scripts/render_results.py"


def test_check_command_passes_and_loads_no_onnxruntime():
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    probe = ("import runpy, sys; sys.argv = ['x']; runpy.run_path(%r, run_name='probe'); "
             "print(sorted(m for m in sys.modules if m.startswith('onnx')))" % str(SCRIPT))
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT).stdout.strip() == "[]"


def _copy(tmp_path: Path, name: str = "study-imagenet-val-eps8") -> Path:
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs" / name, docs / name,
                    ignore=shutil.ignore_patterns("*.gz"))  # the pages read no rows
    render_results.write_all(docs, (name,))
    return docs


def _edit(path: Path, line: int, column: str, value: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[line].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[line] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_a_changed_cell_changes_the_page_and_the_check_names_it(tmp_path):
    name = "study-imagenet-val-eps8"
    docs = _copy(tmp_path, name)
    assert render_results.drifted(docs, (name,)) == []
    before = render_results.render(docs / name)
    # The high tier's fast inverse top-1: 477 images right when clean, 397 of them fooled
    # (0.8323); now 400 of 477, with the interval the study would have written for it.
    lo, hi = render_results.wilson(400, 477)
    summary = docs / name / "summary.csv"
    _edit(summary, 1, "top1_error_truth", f"{400 / 477:.4f}")
    _edit(summary, 1, "top1_error_truth_lo", f"{lo:.4f}")
    _edit(summary, 1, "top1_error_truth_hi", f"{hi:.4f}")
    after = render_results.render(docs / name)
    assert after != before
    assert "83.9 %" in after and "n=477" in after
    assert render_results.drifted(docs, (name,)) == [f"docs/results/{name}.md"]


def test_a_rate_its_counts_do_not_give_is_refused(tmp_path):
    name = "study-imagenet-val-eps8"
    docs = _copy(tmp_path, name)
    summary = docs / name / "summary.csv"
    _edit(summary, 1, "top1_error_truth_hi", "0.9000")  # not Wilson's interval of its count
    with pytest.raises(render_results.RecordMismatch, match="top1_error_truth_hi"):
        render_results.render(docs / name)
    _edit(summary, 1, "top1_error_truth_hi", "0.8631")
    _edit(summary, 1, "top1_error_truth", "0.8350")  # no count out of 477 gives 0.8350
    with pytest.raises(render_results.RecordMismatch, match="no count out of n=477"):
        render_results.render(docs / name)


def test_intervals_come_from_the_exact_fraction():
    # family-imagenet-val-inception, jpeg:75 destroys 8 of 26 (high, fast inverse, eps 1): the
    # CSV's lower end '0.1650' reads as 16.50 and prints 16 as a whole percent; the exact
    # fraction's is 16.501..., 17.
    row = {"destruction_rate": "0.3077", "destruction_rate_lo": "0.1650",
           "destruction_rate_hi": "0.4999"}
    exact = render_results.exact_rate(row, "destruction_rate", 26, "test", k=8)
    assert exact["destruction_rate"] == 8 / 26
    assert (exact["destruction_rate_lo"], exact["destruction_rate_hi"]) == \
        render_results.wilson(8, 26)
    assert f"{100 * exact['destruction_rate_lo']:.0f}" == "17"
    assert f"{100 * float(row['destruction_rate_lo']):.0f}" == "16"


def test_each_folder_says_what_its_files_are():
    # The family folders were run several times into one folder, with a release whose fragility
    # files had no `measure` column: their RECORD.md (rendered from the files) says both.
    note = (ROOT / "docs" / "family-imagenet-val-inception" / "RECORD.md").read_text(
        encoding="utf-8")
    assert "manifest.json describes its last run only" in note and "run 4 times" in note
    assert "predate the `measure` column" in note
    assert "momentum at eps 4, 8, 16, 32" in note
    single = (ROOT / "docs" / "study-imagenet-val-eps8" / "RECORD.md").read_text(encoding="utf-8")
    assert "describes the study's one run" in single


def test_a_folder_whose_fragility_files_have_a_measure_says_nothing_of_the_grid(tmp_path):
    name = "study-imagenet-val-eps8"
    docs = _copy(tmp_path, name)
    correlation = docs / name / "fragility_correlation.csv"
    lines = correlation.read_text(encoding="utf-8").splitlines()
    correlation.write_text("\n".join([lines[0] + ",measure"] + [l + ",exact" for l in lines[1:]])
                           + "\n", encoding="utf-8")
    note = render_results.record_notes.render_note(docs / name)
    assert "predate" not in note and "No row logs" in note  # the copy left the .gz files out


def test_a_rho_resting_on_few_untied_images_says_so_on_its_page():
    """59 of the inception family's 66 photos flip at level 1: its rho rests on 7 (recounted
    from images.csv.gz, the correlation file predating the tie columns)."""
    page = (ROOT / "docs" / "results" / "family-imagenet-val-inception.md").read_text(
        encoding="utf-8")
    assert ("- iterative inverse eps 8, ρ: eps-to-flip takes 3 values, 59 of 66 images tie: "
            "rho rests on the other 7; 1 of 2000 resamples") in page
