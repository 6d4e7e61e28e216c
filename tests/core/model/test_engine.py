"""Classifier, attacks, targets and tiers on a tiny generated RGB classifier."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from advgui.core.attacks import (FastGradientSign, IterativeGradientSign, Target, kurakin_steps,
                                 run_to_end)
from advgui.core.model.classifier import Classifier, ModelError
from advgui.core.model.preprocess import Preprocessing
from advgui.core.tiers import Tier, TierThresholds
from tests.helpers.models import PRE, SIZE, images, tiny_classifier_model


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(tiny_classifier_model(), name="tiny", device="cpu")


def test_probabilities_sum_to_one(clf: Classifier) -> None:
    p = clf.probabilities(images())
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.device.used == "cpu"


def test_gradient_matches_directional_derivative(clf: Classifier) -> None:
    x = images(2)
    target, direction = np.array([1, 4]), np.array([1.0, -1.0])
    g = clf.gradient(x, target, direction)
    v = np.random.default_rng(3).normal(size=x.shape).astype(np.float32)

    def f(t: float) -> float:
        p = clf.probabilities(x + t * v)
        return float((direction * -np.log(p[[0, 1], target])).sum())

    h = 1e-2
    fd = (f(h) - f(-h)) / (2 * h)
    assert fd == pytest.approx(float((g.gradient * v).sum()), rel=2e-2)


def test_fast_attack_respects_budget_and_range(clf: Classifier) -> None:
    x = images(4)
    pixels = PRE.to_uint8(x)
    records = []
    result = run_to_end(FastGradientSign(eps=6).run(clf, x, Target.parse("inverse")),
                        records.append)
    assert len(records) == 1
    diff = np.abs(result.pixels.astype(int) - pixels.astype(int))
    assert diff.max() <= 6
    assert result.pixels.dtype == np.uint8
    # re-scored after 8-bit rounding, not the float image
    np.testing.assert_allclose(result.pixel_probabilities,
                               clf.probabilities(PRE.to_model(result.pixels)), rtol=1e-5)


def test_iterative_attack_lowers_target_loss_and_stays_in_ball(clf: Classifier) -> None:
    x = images(3, seed=5)
    attack = IterativeGradientSign(eps=16, alpha=2, steps=12)
    gen = attack.run(clf, x, Target.parse("least-likely"))
    losses = []
    while True:
        try:
            rec = next(gen)
            losses.append(rec.loss)
            assert np.all(np.abs(PRE.to_pixels(rec.image) - PRE.to_pixels(x)) <= 16 + 1e-3)
        except StopIteration as stop:
            result = stop.value
            break
    assert len(losses) == 12
    clean_loss = -np.log(result.clean_probabilities[np.arange(3), result.target])
    assert np.all(losses[-1] < clean_loss)  # towards the least likely class
    assert np.all(result.target == result.clean_probabilities.argmin(axis=1))
    # the scores reported are those of the returned images, float and 8-bit
    np.testing.assert_allclose(result.adversarial_probabilities,
                               clf.probabilities(result.adversarial), atol=1e-6)
    np.testing.assert_allclose(result.pixel_probabilities,
                               clf.probabilities(PRE.to_model(result.pixels)), atol=1e-6)


def test_targets_resolve_like_the_seed() -> None:
    p = np.array([[0.5, 0.2, 0.1, 0.08, 0.07, 0.05]])
    assert Target.parse("least-likely").resolve(p)[0][0] == 5
    assert Target.parse("least-likely-top5").resolve(p)[0][0] == 4
    t, d = Target.parse("inverse").resolve(p)
    assert (t[0], d[0]) == (0, 1.0)
    assert Target.parse("class:3").resolve(p)[0][0] == 3
    assert Target.parse("true").resolve(p, np.array([2]))[0][0] == 2
    with pytest.raises(ValueError, match="valid"):
        Target.parse("nonsense")


def test_kurakin_defaults() -> None:
    assert kurakin_steps(8) == 10 and kurakin_steps(16) == 20 and kurakin_steps(1) == 1
    a = IterativeGradientSign(eps=8)
    assert (a.alpha, a.steps) == (1.0, 10)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), 300, "x"])
def test_bad_eps_is_rejected_with_range(bad) -> None:
    with pytest.raises(ValueError, match=r"eps must be"):
        FastGradientSign(eps=bad)


def test_tiers_follow_the_seed_thresholds() -> None:
    t = TierThresholds()
    assert [t.tier_of(p) for p in (0.3, 0.2999, 0.15, 0.1499)] == [
        Tier.HIGH, Tier.MEDIUM, Tier.MEDIUM, Tier.LOW]
    with pytest.raises(ValueError):
        TierThresholds(0.1, 0.2)


def test_model_without_metadata_or_wrong_shape_is_refused(tmp_path) -> None:
    m = tiny_classifier_model()
    del m.metadata_props[:]
    with pytest.raises(ModelError, match="preprocessing"):
        Classifier(m, name="bare", device="cpu")
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"this is not a model")
    with pytest.raises(ModelError, match="not an ONNX model"):
        Classifier.load(path, device="cpu")


def test_preprocessing_round_trip() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, size=(2, SIZE, SIZE, 3)).astype(np.uint8)
    np.testing.assert_array_equal(PRE.to_uint8(PRE.to_model(pixels)), pixels)
    assert Preprocessing.from_metadata(PRE.to_metadata()) == PRE


def test_wrong_input_shape_and_nan_models_are_refused() -> None:
    m = tiny_classifier_model()
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 1
    with pytest.raises(ModelError, match="1 channels; expected 3"):
        Classifier(m, name="gray", device="cpu")
    nan = tiny_classifier_model()
    out = nan.graph.output[0].name
    for node in nan.graph.node:
        if node.output[0] == out:
            node.output[0] = "pre_nan"
    nan.graph.node.append(helper.make_node("Div", ["pre_nan", "zero"], [out]))
    nan.graph.initializer.append(onnx.numpy_helper.from_array(np.zeros(1, np.float32), "zero"))
    with pytest.raises(ModelError, match="NaN or infinite"):
        Classifier(nan, name="nan", device="cpu")


def test_cuda_failure_mid_run_falls_back_to_cpu() -> None:
    """No GPU here: a session that fails like a dying CUDA provider stands in for one."""
    from advgui.core.model.session import DeviceChoice

    clf = Classifier(tiny_classifier_model(), name="tiny", device="cpu")
    x = images(2)
    want_p = clf.probabilities(x)
    want_g = clf.gradient(x, np.array([1, 2]), np.array([1.0, 1.0])).gradient

    class DyingSession:
        def run(self, *_args, **_kwargs):
            raise RuntimeError("CUDA failure 999: device lost\ndetails")

    clf.device = DeviceChoice("auto", "cuda")
    clf.session = DyingSession()
    clf._gradient_session = DyingSession()
    np.testing.assert_allclose(clf.probabilities(x), want_p, rtol=1e-6)
    assert clf.device.used == "cpu" and "CUDA failed mid-run" in clf.device.reason
    np.testing.assert_allclose(clf.gradient(x, np.array([1, 2]), np.array([1.0, 1.0])).gradient,
                               want_g, rtol=1e-5, atol=1e-7)
    clf.session = DyingSession()  # on the CPU a failure is not hidden
    with pytest.raises(RuntimeError, match="device lost"):
        clf.probabilities(x)


def test_cuda_sessions_are_asked_for_full_float32(monkeypatch) -> None:
    """TF32 (ONNX Runtime's default on recent GPUs) would make CUDA results differ from the
    CPU's; without a GPU here, the request made to ONNX Runtime is what can be checked."""
    import onnxruntime as ort

    import advgui.core.model.session as session_module

    asked = []

    class FakeSession:
        def __init__(self, model, options, providers):
            asked.append(providers)

        def get_providers(self):
            return ["CUDAExecutionProvider", "CPUExecutionProvider"]

    monkeypatch.setattr(ort, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(ort, "InferenceSession", FakeSession)
    _, choice = session_module.create_session(b"model", "cuda")
    assert choice.used == "cuda"
    assert asked == [[("CUDAExecutionProvider", {"use_tf32": "0", "device_id": "0"}),
                      "CPUExecutionProvider"]]
    _, choice = session_module.create_session(b"model", "cuda:3")  # a multi-GPU node's 4th
    assert choice.used == "cuda:3"
    assert asked[-1] == [("CUDAExecutionProvider", {"use_tf32": "0", "device_id": "3"}),
                         "CPUExecutionProvider"]
    with pytest.raises(ValueError, match="cuda:N"):
        session_module.create_session(b"model", "gpu1")
