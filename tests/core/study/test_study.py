"""The study end to end on a tiny model: reports, resume without duplicates, hostile files."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import pytest

from advgui.core.model.classifier import Classifier
from advgui.core.records.row_log import RowLog
from advgui.core.records.schema import IMAGE_COLUMNS
from advgui.core.study.engine import Study, StudyConfig
from advgui.core.tiers import TierThresholds
from tests.helpers.models import tiny_classifier_model
from tests.helpers.study import classifier, make_folder, run


def test_study_writes_reports_and_resumes(tmp_path) -> None:
    folder = make_folder(tmp_path / "imgs")
    out = tmp_path / "out"
    cfg = StudyConfig(folder=folder, out=out, methods=("fast", "iterative"),
                      targets=("least-likely", "inverse", "true"), eps=(4.0,), batch=2,
                      thresholds=TierThresholds(0.2, 0.12))
    first = run(Study(classifier(), cfg), stop_after=15)  # should_stop is asked at every step
    assert first.cancelled
    partial = list(csv.DictReader(open(out / "images.csv")))
    assert 0 < len(partial) < 36
    second = run(Study(classifier(), cfg))
    assert not second.cancelled
    rows = list(csv.DictReader(open(out / "images.csv")))
    keys = [(r["file"], r["method"], r["target"], r["eps"]) for r in rows]
    assert len(keys) == len(set(keys)) == 6 * 2 * 3
    assert all(r["status"] == "ok" for r in rows)
    assert {r["truth"] for r in rows} == {"0", "1", "2"}  # wnid-like prefix of the file name
    for r in rows:
        assert (out / r["adversarial_png"]).exists()
        assert int(r["linf"]) <= 4
    clean = list(csv.DictReader(open(out / "clean.csv")))
    skipped = {r["file"]: r["error"] for r in clean if r["status"] == "skipped"}
    assert skipped["empty.jpg"].startswith("empty file")
    assert "'=cmd().png" in skipped or "=cmd().png" in skipped
    raw = (out / "clean.csv").read_text()
    assert "\n'=cmd().png," in raw  # formula neutralised in the file itself
    summary = list(csv.DictReader(open(out / "summary.csv")))
    assert {r["tier"] for r in summary} >= {"all"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == 36 and manifest["cancelled"] is False
    assert manifest["runs"] == 2 and manifest["seconds_all_runs"] >= manifest["seconds"]


def test_torn_last_row_is_dropped_on_resume(tmp_path) -> None:
    path = tmp_path / "images.csv"
    log = RowLog(path, IMAGE_COLUMNS)
    log.append([{c: "1" for c in IMAGE_COLUMNS}, {c: "2" for c in IMAGE_COLUMNS}])
    log.close()
    with open(path, "a") as fh:
        fh.write("3,3,3")  # a kill in the middle of a row
    again = RowLog(path, IMAGE_COLUMNS)
    again.close()
    assert [r["file"] for r in again.rows] == ["1", "2"]
    assert path.read_text().count("\n") == 3


def test_unsupported_model_fails_before_any_work(tmp_path) -> None:
    import pytest
    from onnx import helper

    from advgui.core.model.classifier import ModelError
    from tests.helpers.models import tiny_classifier_model

    model = tiny_classifier_model()
    out = model.graph.output[0].name
    for node in model.graph.node:
        if node.output[0] == out:
            node.output[0] = "pre"
    model.graph.node.append(helper.make_node("Sin", ["pre"], [out], name="odd_sin"))
    clf = Classifier(model, name="sin", device="cpu")
    folder = make_folder(tmp_path / "imgs")
    study = Study(clf, StudyConfig(folder=folder, out=tmp_path / "out"))
    with pytest.raises(ModelError, match=r"Sin.*odd_sin|odd_sin.*Sin"):
        next(study.run())
    assert not (tmp_path / "out").exists()


def test_file_vanishing_after_classification_becomes_an_error_row(tmp_path) -> None:
    folder = make_folder(tmp_path / "imgs")
    cfg = StudyConfig(folder=folder, out=tmp_path / "out", methods=("fast",),
                      targets=("inverse",), batch=4)
    study = Study(classifier(), cfg)
    gen = study.run()
    first = next(gen)
    assert first.phase == "classify"
    for p in folder.glob("c0_*.png"):
        p.write_bytes(b"")  # emptied between the two phases
    outcome = None
    while outcome is None:
        try:
            next(gen)
        except StopIteration as done:
            outcome = done.value
    rows = list(csv.DictReader(open(tmp_path / "out" / "images.csv")))
    errors = [r for r in rows if r["status"] == "error"]
    assert len(rows) == 6 and len(errors) == 2
    assert all(r["error"].startswith("empty file") for r in errors)


def test_summary_command_prints_markdown(tmp_path, capsys) -> None:
    from advgui.cli.main import main

    folder = make_folder(tmp_path / "imgs")
    out = tmp_path / "out"
    run(Study(classifier(), StudyConfig(folder=folder, out=out, methods=("fast",),
                                        targets=("inverse",))))
    assert main(["summary", str(out), "--markdown"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("| eps | tier | method | images | inverse top-5 | inverse top-1 |")
    assert "| 8 | all | fast | 6 |" in text
    assert main(["summary", str(tmp_path / "nothing")]) == 2


def test_resume_with_other_settings_is_refused_but_more_eps_is_added(tmp_path) -> None:
    folder = make_folder(tmp_path / "imgs")
    out = tmp_path / "out"
    base = StudyConfig(folder=folder, out=out, methods=("fast",), targets=("inverse",),
                       eps=(4.0,), batch=4, thresholds=TierThresholds(0.2, 0.12))
    first = run(Study(classifier(), base))
    before = (out / "images.csv").read_text()
    for changed, what in ((dict(seed=1), "seed 0 -> 1"),
                          (dict(thresholds=TierThresholds(0.5, 0.12)), "thresholds"),
                          (dict(per_tier=2), "per_tier null -> 2")):
        with pytest.raises(ValueError, match=f"other settings.*{what}"):
            run(Study(classifier(), replace(base, **changed)))
        assert (out / "images.csv").read_text() == before  # nothing touched
    other_model = Classifier(tiny_classifier_model(seed=3), name="other",
                             classes=classifier().classes, device="cpu")
    with pytest.raises(ValueError, match="sha256"):
        run(Study(other_model, base))
    more = run(Study(classifier(), replace(base, eps=(4.0, 8.0))))  # adds rows, same study
    assert more.rows == 2 * first.rows


def test_a_cancelled_classification_resumes_where_it_stopped(tmp_path) -> None:
    """A big folder's classification is kept batch by batch (clean.partial.csv): a resume
    classifies only the rest, and clean.csv appears once, whole, with every file once."""
    folder = make_folder(tmp_path / "imgs", n=12)
    out = tmp_path / "out"
    cfg = StudyConfig(folder=folder, out=out, methods=("fast",), targets=("inverse",),
                      eps=(4.0,), batch=2, thresholds=TierThresholds(0.2, 0.12))
    seen = []
    study = Study(classifier(), cfg)
    original = study._classify_batch
    study._classify_batch = lambda files: (seen.extend(files), original(files))[1]
    assert run(study, stop_after=3).cancelled
    assert not (out / "clean.csv").exists()
    kept = list(csv.DictReader(open(out / "clean.partial.csv", newline="")))
    assert len(kept) == len(seen) == 6
    again = Study(classifier(), cfg)
    classified, own = [], again._classify_batch
    again._classify_batch = lambda files: (classified.extend(files), own(files))[1]
    outcome = run(again)
    assert not outcome.cancelled and not (out / "clean.partial.csv").exists()
    assert len(classified) == 14 - 6 and not set(classified) & set(seen)
    clean = list(csv.DictReader(open(out / "clean.csv", newline="")))
    assert sorted(r["file"] for r in clean) == sorted({r["file"] for r in clean})
    assert len(clean) == 14


def test_a_cancel_takes_effect_within_an_attack_step(tmp_path) -> None:
    """The batch dialog's Close and Ctrl-C must not wait for a whole batch of a long attack."""
    folder = make_folder(tmp_path / "imgs")
    cfg = StudyConfig(folder=folder, out=tmp_path / "out", methods=("iterative",),
                      targets=("inverse",), eps=(8.0,), steps=4000, alpha=0.002, batch=4,
                      thresholds=TierThresholds(0.2, 0.12))
    clf = classifier()
    runs = {"n": 0}
    real = clf.gradient

    def counted(*args, **kwargs):
        runs["n"] += 1
        return real(*args, **kwargs)

    clf.gradient = counted
    study = Study(clf, cfg)
    gen = study.run(lambda: runs["n"] >= 50)
    while True:
        try:
            next(gen)
        except StopIteration as done:
            outcome = done.value
            break
    assert outcome.cancelled and outcome.rows == 0  # the unfinished batch left no row
    assert runs["n"] <= 51  # stopped at the next step, not after 4,000
