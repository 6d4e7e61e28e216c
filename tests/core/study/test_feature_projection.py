"""Issue 27: a study records the penultimate features of each attacked clean image and of each
saved adversarial (features.npz), and draws their 2-D projection (feature_projection.png) with
its record (feature_projection.csv, .json); whatever the rows, all three are written."""

from __future__ import annotations

import csv
import json

import numpy as np
import onnx
import pytest

from advgui.core.analysis.projection import pca_2d, plot_feature_projection
from advgui.core.model.classifier import Classifier
from advgui.core.model.features import FeatureExtractor, penultimate_tensor
from advgui.core.model.images import load_rgb
from advgui.core.records.config import StudyConfig
from advgui.core.records.features_file import read_features
from advgui.core.study.engine import Study
from advgui.core.tiers import TierThresholds
from tests.helpers.cli import cli
from tests.helpers.study import classifier, make_folder, model_and_images, run, study_args

FILES = ("feature_projection.png", "feature_projection.csv", "feature_projection.json")


def _record(out):
    meta = json.loads((out / "feature_projection.json").read_text())
    points = list(csv.DictReader(open(out / "feature_projection.csv", newline="")))
    return meta, points


def test_the_cli_study_writes_the_projection_and_its_record(tmp_path) -> None:
    model, folder, out = model_and_images(tmp_path)
    done = cli(*study_args(folder, out, model, "--eps", "4", "8", "--methods", "fast",
                           "iterative", "--targets", "inverse", "--per-tier", "3"), options=False)
    assert done.returncode == 0, done.stderr
    for name in FILES:
        assert (out / name).stat().st_size > 0, name
    meta, points = _record(out)
    rows = [r for r in csv.DictReader(open(out / "images.csv", newline=""))
            if r["status"] == "ok"]
    assert len(points) == len(rows) == meta["arrows"] and meta["empty"] == ""
    assert meta["tensor"] == penultimate_tensor(onnx.load(str(model)))
    first, second = meta["explained_variance_ratio"]
    assert 0 < second <= first and first + second <= 1 + 1e-9
    # features.npz holds exactly what the model gives on the photo and on the saved PNG
    clf = Classifier.load(model, device="cpu")
    extractor, pre = FeatureExtractor(clf), clf.preprocessing
    record = read_features(out / "features.npz")
    for r in rows[:4]:
        clean = extractor.features(pre.to_model(pre.load(load_rgb(folder / r["file"]))[None]))
        adv = extractor.features(pre.to_model(np.asarray(load_rgb(out / r["adversarial_png"]))[None]))
        np.testing.assert_array_equal(record.clean_of(r), clean[0])
        np.testing.assert_array_equal(record.adversarial_of(r), adv[0])
    # the CSV's coordinates are the PCA of those features, clean and adversarial together
    files = sorted({r["file"] for r in rows})
    vectors = np.concatenate([np.stack([record.clean[f] for f in files]),
                              np.stack([record.adversarial_of(r) for r in rows])])
    coords, ratio = pca_2d(vectors)
    assert ratio.round(6).tolist() == meta["explained_variance_ratio"]
    by_key = {(p["file"], p["method"], p["eps"]): p for p in points}
    for r, xy in zip(rows, coords[len(files):]):
        p = by_key[r["file"], r["method"], r["eps"]]
        assert float(p["adversarial_x"]) == pytest.approx(xy[0], rel=1e-5, abs=1e-6)
        assert float(p["adversarial_y"]) == pytest.approx(xy[1], rel=1e-5, abs=1e-6)
        assert p["tier"] == r["tier"] and p["clean_top1"] == r["clean_top1"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["feature_projection"]["arrows"] == len(rows)


def test_a_resumed_study_adds_its_rows_and_keeps_the_earlier_features(tmp_path) -> None:
    folder = make_folder(tmp_path / "imgs")
    out = tmp_path / "out"

    def config(eps):
        return StudyConfig(folder=folder, out=out, methods=("fast",), targets=("inverse",),
                           eps=eps, batch=2, thresholds=TierThresholds(0.2, 0.12))

    run(Study(classifier(), config((4.0,))))
    before = read_features(out / "features.npz")
    run(Study(classifier(), config((4.0, 8.0))))
    after = read_features(out / "features.npz")
    rows = [r for r in csv.DictReader(open(out / "images.csv", newline="")) if r["status"] == "ok"]
    assert len(after.adversarial) == len(rows) == 2 * len(before.adversarial)
    for key, value in before.adversarial.items():
        np.testing.assert_array_equal(after.adversarial[key], value)
    assert _record(out)[0]["arrows"] == len(rows)


def test_a_cancelled_study_draws_the_rows_it_recorded_and_says_so(tmp_path) -> None:
    folder = make_folder(tmp_path / "imgs")
    out = tmp_path / "out"
    cfg = StudyConfig(folder=folder, out=out, methods=("fast", "iterative"),
                      targets=("inverse",), eps=(4.0,), batch=2,
                      thresholds=TierThresholds(0.2, 0.12))
    first = run(Study(classifier(), cfg), stop_after=6)
    assert first.cancelled
    meta, points = _record(out)
    rows = [r for r in csv.DictReader(open(out / "images.csv", newline="")) if r["status"] == "ok"]
    assert len(points) + meta["rows_without_features"] == len(rows)
    run(Study(classifier(), cfg))  # resumed: every row gets its features
    meta, points = _record(out)
    rows = [r for r in csv.DictReader(open(out / "images.csv", newline="")) if r["status"] == "ok"]
    assert len(points) == len(rows) and meta["rows_without_features"] == 0


@pytest.mark.parametrize("case", ["classify-only", "all errors", "one image"])
def test_degenerate_studies_write_the_figure_and_say_why(tmp_path, case) -> None:
    folder = make_folder(tmp_path / "imgs", n=1 if case == "one image" else 6)
    out = tmp_path / "out"
    cfg = StudyConfig(folder=folder, out=out, methods=("fast",), targets=("inverse",),
                      eps=(4.0,), batch=4, thresholds=TierThresholds(0.2, 0.12),
                      classify_only=case == "classify-only")
    study = Study(classifier(), cfg)
    gen = study.run()
    next(gen)
    if case == "all errors":
        for p in folder.glob("*.png"):
            p.write_bytes(b"")  # emptied between classification and attack
    while True:
        try:
            next(gen)
        except StopIteration:
            break
    for name in (*FILES, "manifest.json", "summary.csv"):
        assert (out / name).stat().st_size > 0, name
    meta, points = _record(out)
    if case == "one image":  # one arrow: one direction, the second component has nothing
        assert len(points) == 1 and meta["explained_variance_ratio"] == [1.0, 0.0]
    else:
        assert not points
        assert meta["empty"] == {"classify-only": "no attack rows: nothing to project",
                                 "all errors": "all 3 attack rows are errors: nothing to project"
                                 }[case]


def test_a_folder_without_features_says_so(tmp_path) -> None:
    rows = [{"file": "a.png", "status": "ok", "adversarial_png": "adversarial/a.png",
             "method": "fast", "target": "inverse", "eps": "4", "tier": "high"}]
    meta = plot_feature_projection(rows, tmp_path, "merged")
    assert meta["empty"].startswith("no features.npz in this folder")
    assert "merge of parts" in meta["empty"]
    assert (tmp_path / "feature_projection.png").stat().st_size > 0


def test_pca_of_points_on_a_line_has_one_component() -> None:
    line = np.outer(np.arange(5.0), [3.0, 4.0, 0.0])
    coords, ratio = pca_2d(line)
    assert ratio.tolist() == pytest.approx([1.0, 0.0])
    assert np.abs(np.diff(coords[:, 0])).tolist() == pytest.approx([5.0] * 4)


def test_a_merge_joins_its_shards_features_and_refuses_to_mix(tmp_path) -> None:
    model, folder, whole = model_and_images(tmp_path)
    args = ("--methods", "fast", "--targets", "inverse", "--per-tier", "4")
    cli(*study_args(folder, whole, model, *args), options=False)
    parts = [tmp_path / f"part{k}" for k in (1, 2)]
    for k, part in enumerate(parts, 1):
        cli(*study_args(folder, part, model, *args, "--shard", f"{k}/2"), options=False)
    merged = tmp_path / "merged"
    cli("merge", *parts, "--out", merged)
    meta, points = _record(merged)
    assert meta["arrows"] == len(points) == _record(whole)[0]["arrows"] > 0
    joined, alone = read_features(merged / "features.npz"), read_features(whole / "features.npz")
    assert joined.adversarial.keys() == alone.adversarial.keys()
    for key, value in alone.adversarial.items():
        np.testing.assert_allclose(joined.adversarial[key], value, rtol=1e-5, atol=1e-6)
    # a part without its record: the merged folder has none, and its figure says why
    (parts[1] / "features.npz").unlink()
    again = tmp_path / "merged-again"
    cli("merge", *parts, "--out", again)
    assert not (again / "features.npz").exists()
    assert _record(again)[0]["empty"].startswith("no features.npz in this folder")
