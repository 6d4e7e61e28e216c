"""Issue 15: `advgui-cli summary OUT --markdown` puts the white-box error, each transfer model's
error and each destruction rate side by side, every cell read from its own summary file."""

from __future__ import annotations

from advgui.core.scoring import format_rate
from advgui.core.beside_table import destruction_cell
from tests.core.test_shards import cli, rows
from tests.core.test_transfer import _setup


def _table(markdown: str) -> list[dict]:
    lines = [ln for ln in markdown.splitlines() if ln.startswith("| ")]
    heads = [h for h in lines if "white-box top-1" in h]
    assert len(heads) == 1, markdown
    at = lines.index(heads[0])
    columns = [c.strip() for c in heads[0].strip("|").split("|")]
    return [dict(zip(columns, (c.strip() for c in ln.strip("|").split("|")))) for ln in lines[at + 1:]]


def test_side_by_side_cells_are_the_three_summaries(tmp_path) -> None:
    model, other, folder = _setup(tmp_path)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, "--transfer-to", other,
        "--destroy", "jpeg:50", "--eps", "4", "8")
    shown = _table(cli("summary", out, "--markdown").stdout)
    white = {(r["tier"], r["method"], r["target"], r["eps"]): r for r in rows(out / "summary.csv")}
    transfer = {(r["tier"], r["method"], r["target"], r["eps"]): r
                for r in rows(out / "transfer_summary.csv")}
    destroy = {(r["tier"], r["method"], r["target"], r["eps"]): r
               for r in rows(out / "destroy_summary.csv")}
    assert len(shown) == len(white) and shown
    for r in shown:
        key = (r["tier"], r["method"], r["target"], r["eps"])
        wb = white[key]
        k1 = "top1_error_truth" if int(wb["top1_error_truth_n"]) else "top1_error_clean"
        assert r["white-box top-1"] == format_rate(wb, k1)
        assert r["→ other top-1"] == format_rate(transfer[key], "top1_error_truth")
        assert r["jpeg:50 d"] == destruction_cell(destroy[key])
    only_all = _table(cli("summary", out, "--markdown", "--tier", "all").stdout)
    assert [(r["method"], r["target"], r["eps"]) for r in only_all] == [
        (r["method"], r["target"], r["eps"]) for r in shown if r["tier"] == "all"]
    text = cli("summary", out).stdout
    assert "Transfer" in text and "Destruction rate" in text


def test_a_study_without_transfer_or_destroy_prints_no_side_by_side(tmp_path) -> None:
    model, _, folder = _setup(tmp_path)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model)
    assert "side by side" not in cli("summary", out, "--markdown").stdout
