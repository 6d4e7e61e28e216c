"""Issue 15: `advgui-cli summary OUT --markdown` puts the white-box error, each transfer model's
error and each destruction rate side by side, every cell read from its own summary file; a
damaged summary is named, never a traceback."""

from __future__ import annotations

import csv

from advgui.core.analysis.beside_table import destruction_cell
from advgui.core.analysis.tables import format_rate
from tests.helpers.beside_table import table_rows
from tests.helpers.cli import cli, rows
from tests.helpers.study import two_models_and_images

STUDY = ("--destroy", "jpeg:50", "--eps", "4", "8")


def _labelled_study(tmp_path):
    """A study whose truth is the transfer model's clean verdict on half the images and the
    study model's on the other half, so that both denominators are filled."""
    model, other, folder = two_models_and_images(tmp_path)
    probe = tmp_path / "probe"
    cli("study", folder, "--out", probe, "--model", model, "--transfer-to", other, "--eps", "4")
    mine = {r["file"]: r["clean_top1"] for r in rows(probe / "images.csv")}
    theirs = {r["file"]: r["clean_top1"] for r in rows(probe / "transfer.csv")}
    with open(tmp_path / "labels.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "class_index"])
        for i, f in enumerate(sorted(mine)):
            w.writerow([f, theirs[f] if i % 2 else mine[f]])
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, "--transfer-to", other,
        "--truth", tmp_path / "labels.csv", *STUDY)
    return out


def test_side_by_side_cells_are_the_three_summaries(tmp_path) -> None:
    out = _labelled_study(tmp_path)
    shown = table_rows(cli("summary", out, "--markdown").stdout)
    white = {(r["tier"], r["method"], r["target"], r["eps"]): r for r in rows(out / "summary.csv")}
    transfer = {(r["tier"], r["method"], r["target"], r["eps"]): r
                for r in rows(out / "transfer_summary.csv")}
    destroy = {(r["tier"], r["method"], r["target"], r["eps"]): r
               for r in rows(out / "destroy_summary.csv")}
    assert len(shown) == len(white) and shown
    filled = 0
    for r in shown:
        key = (r["tier"], r["method"], r["target"], r["eps"])
        assert r["white-box top-1"] == format_rate(white[key], "top1_error_truth")
        assert r["→ other top-1"] == format_rate(transfer[key], "top1_error_truth")
        assert r["jpeg:50 d"] == destruction_cell(destroy[key])
        filled += r["→ other top-1"] != "—"
    assert filled == len(shown)  # every transfer cell has a denominator: the join is tested
    only_all = table_rows(cli("summary", out, "--markdown", "--tier", "all").stdout)
    assert [(r["method"], r["target"], r["eps"]) for r in only_all] == [
        (r["method"], r["target"], r["eps"]) for r in shown if r["tier"] == "all"]
    text = cli("summary", out, "--tier", "all").stdout
    assert "Transfer" in text and "Destruction rate" in text
    assert " high " not in text.split("Transfer")[1]
    refused = cli("summary", out, "--tier", "low", check=False)
    assert refused.returncode == 2 and "no rows in the tier low" in refused.stderr


def test_damaged_or_rewritten_summaries_are_named_and_joined_by_eps(tmp_path) -> None:
    out = _labelled_study(tmp_path)
    path = out / "transfer_summary.csv"
    text = path.read_text()
    path.write_text(text.replace(",8,", ",8.0,"))  # another program's float format
    shown = table_rows(cli("summary", out, "--markdown").stdout)
    assert all(r["→ other top-1"] for r in shown)
    lines = text.splitlines()
    cells = lines[1].split(",")
    cells[7] = ""  # a number emptied by hand
    path.write_text("\n".join([lines[0], ",".join(cells)] + lines[2:]) + "\n")
    done = cli("summary", out, "--markdown")
    assert "transfer_summary.csv: left out 1 broken" in done.stderr
    assert "Traceback" not in done.stderr
    path.write_text(text.replace("top1_changed", "changed_top1"))  # a header renamed
    done = cli("summary", out)
    assert "transfer_summary.csv could not be read" in done.stderr
    assert "new output folder" not in done.stderr and "Destruction rate" in done.stdout


def test_without_truth_the_table_counts_changed_top1_and_says_so(tmp_path) -> None:
    model, other, folder = two_models_and_images(tmp_path)
    for i, f in enumerate(sorted(folder.iterdir())):
        f.rename(folder / f"photo_{i}.png")  # no wnid in the names: no truth at all
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, "--transfer-to", other, *STUDY)
    md = cli("summary", out, "--markdown").stdout
    assert "no true labels" in md
    shown = table_rows(md.replace("white-box top-1 changed", "white-box top-1"))
    transfer = {(r["tier"], r["method"], r["target"], r["eps"]): r
                for r in rows(out / "transfer_summary.csv")}
    for r in shown:
        key = (r["tier"], r["method"], r["target"], r["eps"])
        assert r["→ other top-1 changed"] == format_rate(transfer[key], "top1_changed")


def test_a_pipe_in_a_model_name_does_not_split_a_cell(tmp_path) -> None:
    model, other, folder = two_models_and_images(tmp_path)
    piped = other.with_name("a|b.onnx")
    other.rename(piped)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, "--transfer-to", piped, "--eps", "4")
    lines = [ln for ln in cli("summary", out, "--markdown").stdout.splitlines()
             if "white-box" in ln and ln.startswith("|")]
    assert "a\\|b" in lines[0]
    assert lines[0].replace("\\|", "").count("|") == 8


def test_a_study_without_transfer_or_destroy_prints_no_side_by_side(tmp_path) -> None:
    model, _, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model)
    assert "side by side" not in cli("summary", out, "--markdown").stdout
