"""Resuming a Square Attack study: --queries 1000 is Square's default, so a study first run
without --queries resumes with --queries 1000 and the other way round (both were refused as
'queries null -> 1000'); another budget is still refused, in one line."""

from __future__ import annotations

import csv

from advgui.cli.main import main
from tests.helpers.study import model_and_images, study_args


def _study(*args):
    return main([str(a) for a in study_args(*args)])


def _rows(out):
    with open(out / "images.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_default_budget_spelled_out_resumes_the_same_study(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert _study(folder, out, model, "--methods", "square", "--queries", "1000") == 0
    first = _rows(out)
    capsys.readouterr()
    assert _study(folder, out, model, "--methods", "square") == 0
    assert "0 new rows this run" in capsys.readouterr().out
    assert _rows(out) == first
    assert _study(folder, out, model, "--methods", "square", "--queries", "1000") == 0
    assert "0 new rows this run" in capsys.readouterr().out
    assert _study(folder, out, model, "--methods", "square", "--queries", "999") == 2
    err = capsys.readouterr().err.strip()
    errors = [x for x in err.splitlines() if x.startswith("advgui-cli: error:")]
    assert len(errors) == 1 and "queries 1000 -> 999" in errors[0] and "Traceback" not in err


def test_a_study_without_queries_resumes_with_the_default_spelled_out(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert _study(folder, out, model, "--methods", "fast") == 0
    capsys.readouterr()
    assert _study(folder, out, model, "--methods", "fast", "square",
                           "--queries", "1000") == 0
    assert "16 new rows this run" in capsys.readouterr().out
    assert {r["study_id"] for r in _rows(out)} == {_rows(out)[0]["study_id"]}
