"""The study files that came with the features and square phases (features.npz,
feature_projection.png/.csv/.json, queries.csv) faced as a hostile user would: links planted at
their names, hand edits between runs. Nothing outside the folder is read or changed, the reports
all finish, and what was not used is said in one line."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest

from advgui.cli.main import main
from tests.helpers.study import model_and_images, study_args

NEW_FILES = ("features.npz", "feature_projection.png", "feature_projection.csv",
             "feature_projection.json", "queries.csv")


@pytest.fixture
def study(tmp_path):
    model, folder, out = model_and_images(tmp_path)
    args = [str(a) for a in study_args(folder, out, model, "--methods", "square", "fast",
                                       "--targets", "least-likely", "--queries", "20")]
    assert main(args) == 0
    return args, out


def _projection(out) -> list[dict]:
    with open(out / "feature_projection.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _rerun(args, capsys) -> str:
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _scaled_copy(source, target) -> None:
    """Another study's features.npz in form: every vector a thousand times what it was."""
    with np.load(source, allow_pickle=False) as data:
        arrays = dict(data)
    arrays["clean"] = arrays["clean"] * 1000
    with open(target, "wb") as fh:
        np.savez(fh, **arrays)


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_links_at_the_new_files_are_never_read_or_written_through(study, tmp_path, capsys,
                                                                  link) -> None:
    """A features.npz linked to a file outside the folder was read, and its vectors drawn as
    this study's projection."""
    args, out = study
    projection = _projection(out)
    outside = tmp_path / "outside"
    outside.mkdir()
    _scaled_copy(out / "features.npz", outside / "features.npz")
    for name in NEW_FILES[1:]:
        (outside / name).write_bytes(b"precious " + name.encode())
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    for name in NEW_FILES:
        (out / name).unlink()
        if link == "symbolic":
            (out / name).symlink_to(outside / name)
        else:
            os.link(outside / name, out / name)
    err = _rerun(args, capsys)
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before
    for name in NEW_FILES:
        assert not (out / name).is_symlink() and (out / name).stat().st_nlink == 1
    said = "it is a symbolic link" if link == "symbolic" else "(a hard link)"
    assert "features.npz was not used: " in err and said in err
    assert _projection(out) == projection  # drawn from the study's own features


def test_a_dangling_link_at_features_is_replaced(study, tmp_path, capsys) -> None:
    args, out = study
    (out / "features.npz").unlink()
    (out / "features.npz").symlink_to(tmp_path / "nowhere.npz")
    err = _rerun(args, capsys)
    assert "features.npz was not used: it is a symbolic link" in err
    assert not (tmp_path / "nowhere.npz").exists() and not (out / "features.npz").is_symlink()
    assert json.loads((out / "feature_projection.json").read_text())["arrows"] == 16


def _edit(path, change) -> None:
    with np.load(path, allow_pickle=False) as data:
        arrays = dict(data)
    change(arrays)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


EDITS = {
    "narrower clean vectors": lambda a: a.update(clean=a["clean"][:, :3]),
    "fewer clean vectors than files": lambda a: a.update(clean=a["clean"][:2]),
    "not finite": lambda a: a.update(adversarial=np.full_like(a["adversarial"], np.nan)),
    "flattened": lambda a: a.update(clean=a["clean"].ravel()),
    "one file named for all": lambda a: a.update(
        clean_files=np.array([a["clean_files"][0]] * len(a["clean_files"]))),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_a_hand_edited_features_file_is_computed_again(study, capsys, edit) -> None:
    """Ragged arrays stopped the reports with numpy's own message (manifest.json left as it
    was); too few vectors, or one name for all, were half used, the lost arrows never drawn."""
    args, out = study
    projection = _projection(out)
    _edit(out / "features.npz", EDITS[edit])
    err = _rerun(args, capsys)
    assert "features.npz was not used: it is damaged" in err
    assert _projection(out) == projection
    assert json.loads((out / "manifest.json").read_text())["cancelled"] is False


def test_a_lost_clean_entry_is_computed_again(study, capsys) -> None:
    """An image whose clean vector was gone (its adversarials' kept) stayed out of the
    projection on every later run: only rows without an adversarial vector were done again."""
    args, out = study

    def drop_first_image(a) -> None:
        a["clean_files"], a["clean"] = a["clean_files"][1:], a["clean"][1:]

    _edit(out / "features.npz", drop_first_image)
    _rerun(args, capsys)
    meta = json.loads((out / "feature_projection.json").read_text())
    assert meta["arrows"] == 16 and meta["rows_without_features"] == 0


def _rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_hand_edited_queries_to_flip_are_repaired_not_counted(study, capsys) -> None:
    """nan, 0, -5 or 2.5 typed into images.csv's queries_to_flip were taken as query counts:
    queries.csv said a median of 1.25 queries and 'nan', and no note said why."""
    args, out = study
    queries = (out / "queries.csv").read_text()
    rows = _rows(out / "images.csv")
    square = [r for r in rows if r["method"] == "square"]
    for row, typed in zip(square, ("nan", "0", "-5", "2.5", "-inf")):
        row["queries_to_flip"] = typed
    with open(out / "images.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    capsys.readouterr()
    assert main(["summary", str(out)]) == 0
    said = capsys.readouterr()
    assert "queries_to_flip 'nan' is neither a query count" in said.err and "nan" not in said.out
    err = _rerun(args, capsys)
    assert "left out 5 broken" in err
    assert (out / "queries.csv").read_text() == queries  # the five rows attacked again


def test_a_report_that_cannot_be_written_does_not_stop_the_others(study, capsys) -> None:
    """A folder planted at queries.csv stopped the reports there: the feature projection, the
    figures and the finished manifest were never written, and the one line named only the
    study folder ('writing the results to out failed (Is a directory)')."""
    args, out = study
    (out / "queries.csv").unlink()
    (out / "queries.csv").mkdir()
    for name in ("feature_projection.png", "feature_projection.json", "error_by_tier.png"):
        (out / name).unlink()
    (out / "manifest.json").write_text("{}")
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"writing the results to {out / 'queries.csv'} failed" in err
    assert "Traceback" not in err and len(err.strip().splitlines()[-1]) > 0
    for name in ("feature_projection.png", "feature_projection.json", "error_by_tier.png"):
        assert (out / name).is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == 16 and manifest["feature_projection"]["arrows"] == 16


def test_queries_of_rows_that_are_no_more_are_not_left_behind(study, capsys) -> None:
    """Square rows that became errors (a hand edit) left the earlier run's queries.csv in
    place, its flip rates contradicting images.csv and the summary, which had no such table."""
    args, out = study
    rows = _rows(out / "images.csv")
    for row in rows:
        if row["method"] == "square":
            row.update(status="error", error="hand edit")
    with open(out / "images.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _rerun(args, capsys)
    assert not (out / "queries.csv").exists()
    assert main(["summary", str(out)]) == 0
    assert "Queries to flip" not in capsys.readouterr().out
