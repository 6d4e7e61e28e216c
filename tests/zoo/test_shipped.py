"""The committed models: manifest hashes, class order, accuracy, and the real gradient."""

from __future__ import annotations

import json

import numpy as np
import pytest

from advgui.core.model.classes import ClassList
from advgui.core.model.images import load_rgb
from advgui.core.model.registry import load_classifier, models_dir, shipped_models
from advgui.core.model.hashing import sha256_file
from advgui.zoo.sources import Shared, default_shared, read_classes, sample_labels

SHARED = Shared(default_shared())
needs_shared = pytest.mark.skipif(not SHARED.root.exists(), reason="../shared not present")


def test_manifest_hashes_match_files() -> None:
    entries = shipped_models()
    assert {e.name for e in entries} == {"inception_v3", "efficientnet_lite0"}
    for entry in entries:
        for file, digest in entry.info["sha256"].items():
            assert sha256_file(models_dir() / file) == digest, file
        assert entry.info["provenance"]["source_wheel_sha256"]
        assert 0.5 < entry.info["accuracy_nips17_dev"]["top1"] <= 1.0


@pytest.fixture(scope="module")
def inception():
    return load_classifier("inception_v3", device="cpu")


@pytest.fixture(scope="module")
def efficientnet():
    return load_classifier("efficientnet_lite0", device="cpu")


@needs_shared
def test_class_order_is_the_standard_one(inception) -> None:
    assert inception.classes.names[885] == "velvet"
    assert inception.classes == ClassList.from_pairs(read_classes(SHARED.classes_tsv))


@needs_shared
def test_teacher_recovers_sample_labels(efficientnet) -> None:
    files = SHARED.samples()[::9]  # 100 of the 900, one in nine
    truth = sample_labels(files, read_classes(SHARED.classes_tsv))
    pre = efficientnet.preprocessing
    x = pre.to_model(np.stack([pre.load(load_rgb(f)) for f in files]))
    top1 = efficientnet.probabilities(x).argmax(axis=1)
    assert (top1 == truth).mean() > 0.6  # mostly recovered: the class order is right


@needs_shared
def test_inception_classifies_study_images(inception) -> None:
    files, labels = SHARED.nips17()
    pre = inception.preprocessing
    x = pre.to_model(np.stack([pre.load(load_rgb(f)) for f in files[:32]]))
    assert (inception.probabilities(x).argmax(axis=1) == labels[:32]).mean() > 0.7


@needs_shared
def test_inception_gradient_directional_derivative(inception) -> None:
    """d/dt loss(x + t v) by central differences vs <gradient, v>, within 1 % (float32).

    Along v = sign(gradient) the ReLU network bends quickly: h = 1e-2 gives 12 % of the
    derivative, 1e-3 69 %, 1e-4 98 %, 1e-5 99.8 % (measured); hence the small step.
    """
    files, _ = SHARED.nips17()
    pre = inception.preprocessing
    x = pre.to_model(pre.load(load_rgb(files[3]))[None])
    target, direction = np.array([7]), np.array([-1.0])
    g = inception.gradient(x, target, direction)
    v = np.sign(g.gradient).astype(np.float32)

    def loss(t: float) -> float:
        p = inception.probabilities(x + t * v)
        return float(-np.log(p[0, 7]) * direction[0])

    h = 1e-5
    fd = (loss(h) - loss(-h)) / (2 * h)
    analytic = float((g.gradient * v).sum())
    assert fd == pytest.approx(analytic, rel=1e-2)


def test_distillation_report_is_committed() -> None:
    report = json.loads((models_dir() / "distillation.json").read_text())
    nips = report["nips17_dev"]
    assert nips["student"]["n"] == 1000
    assert nips["student"]["auc_top1_confidence"] > 0.75


def test_calibration_node_matches_its_report() -> None:
    import onnx

    report = json.loads((models_dir() / "calibration.json").read_text())
    model = onnx.load(str(models_dir() / "inception_v3.onnx"), load_external_data=False)
    constants = {t.name: float(onnx.numpy_helper.to_array(t)) for t in model.graph.initializer
                 if t.name.startswith("calibration.")}
    assert [constants[f"calibration.{k}"] for k in "abc"] == pytest.approx(report["theta"], rel=1e-6)
    assert report["form"]["chosen"] == "adaptive"  # chosen by cross-validation, not held-out ECE
    held = report["held_out"]
    # the figures the README and the About dialog quote
    assert held["after"]["ece"] <= 0.04 < 0.05 < held["before"]["ece"]
    assert held["after"]["ece"] < held["temperature_only"]["ece"]
    assert held["after"]["auc_top1_confidence"] >= 0.86
    assert held["after"]["top1"] == held["before"]["top1"]


@needs_shared
def test_calibration_recomputed_from_the_shipped_model_on_a_held_out_slice(inception) -> None:
    """Every 8th held-out imagenet-val photo through the whole pipeline (decode, crop, model):
    the calibrated confidences must be the ones models/calibrate.py recorded."""
    from advgui.core.analysis.metrics import summarize
    from advgui.zoo.calibration import is_fitting_half

    piece = json.loads((models_dir() / "calibration.json").read_text())["held_out_slice"]
    folder = SHARED.root / "data" / "imagenet-val"
    assert not any(is_fitting_half(f) for f in piece["files"])  # held out, never fitted on
    pre = inception.preprocessing
    x = pre.to_model(np.stack([pre.load(load_rgb(folder / f)) for f in piece["files"]]))
    probs = inception.probabilities(x)
    np.testing.assert_array_equal(probs.argmax(1), piece["top1"])
    np.testing.assert_allclose(probs.max(1), piece["top1_probability"], atol=2e-3)
    got = summarize(probs, np.asarray(piece["labels"]))
    for key in ("top1", "top5", "tier_high", "tier_medium", "tier_low"):
        assert got[key] == piece["summary"][key], key
    assert got["ece"] == pytest.approx(piece["summary"]["ece"], abs=2e-3)


def test_the_shipped_models_are_found_without_any_environment(tmp_path) -> None:
    """`advgui-cli models` as a user runs it (no ADVGUI_MODELS, another working folder) lists both
    shipped models: the models folder is found from the installed package, wherever it sits."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "ADVGUI_MODELS"}
    run = subprocess.run([sys.executable, "-m", "advgui.cli.main", "models"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "inception_v3" in run.stdout and "efficientnet_lite0" in run.stdout
