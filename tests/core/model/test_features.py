"""Issue 27: the penultimate features are the input of the classifier's last linear layer,
read from an extra output on a copy of the graph."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from advgui.core.model.classifier import Classifier
from advgui.core.model.features import FeatureError, FeatureExtractor, penultimate_tensor
from tests.helpers.models import PRE, SIZE, images, tiny_classifier_model


def _pooled_model(temperature: float = 0.5) -> tuple[onnx.ModelProto, np.ndarray, np.ndarray]:
    """x -> GlobalAveragePool -> Flatten -> Gemm -> Mul(temperature) -> Softmax: its
    penultimate features are the channel means of the input, computable by hand."""
    rng = np.random.default_rng(4)
    w = rng.normal(size=(5, 3)).astype(np.float32)
    b = rng.normal(size=5).astype(np.float32)
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["pool"]),
             helper.make_node("Flatten", ["pool"], ["pooled"], axis=1),
             helper.make_node("Gemm", ["pooled", "w", "b"], ["raw"], transB=1),
             helper.make_node("Mul", ["raw", "t"], ["scaled"]),
             helper.make_node("Softmax", ["scaled"], ["probs"], axis=1)]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(np.float32(temperature), "t")]
    graph = helper.make_graph(nodes, "pooled", [helper.make_tensor_value_info(
        "x", onnx.TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("probs", onnx.TensorProto.FLOAT, ["N", 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model, w, b


def test_features_are_the_hand_computed_input_of_the_last_linear_layer() -> None:
    model, w, b = _pooled_model()
    classifier = Classifier(model, name="pooled", preprocessing=PRE, device="cpu")
    extractor = FeatureExtractor(classifier)
    assert extractor.tensor == "pooled"
    x = images(4, seed=3)
    got = extractor.features(x)
    expected = x.astype(np.float64).mean(axis=(2, 3))
    assert got.shape == (4, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # and they are what the model classifies: the softmax of (W f + b) * t is its output
    logits = (got.astype(np.float64) @ w.T + b) * 0.5
    p = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(p / p.sum(1, keepdims=True), classifier.probabilities(x),
                               rtol=1e-4, atol=1e-6)
    assert [o.name for o in classifier.model.graph.output] == ["probs"]  # the model untouched


def test_the_tiny_classifiers_features_give_its_logits() -> None:
    model = tiny_classifier_model()
    gemm = next(n for n in model.graph.node if n.op_type == "Gemm")
    classifier = Classifier(model, name="tiny", device="cpu")
    features = FeatureExtractor(classifier).features(images(3))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    w, b = inits[gemm.input[1]], inits[gemm.input[2]]
    assert penultimate_tensor(model) == gemm.input[0] and features.shape == (3, w.shape[1])
    logits = features.astype(np.float64) @ w.T + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(p / p.sum(1, keepdims=True), classifier.probabilities(images(3)),
                               rtol=1e-4, atol=1e-6)


def test_a_model_without_a_linear_layer_says_so() -> None:
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["pool"]),
             helper.make_node("Flatten", ["pool"], ["y"], axis=1)]
    graph = helper.make_graph(nodes, "nolinear", [helper.make_tensor_value_info(
        "x", onnx.TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(FeatureError, match="no Gemm or MatMul"):
        penultimate_tensor(model)


def test_the_shipped_inception_v3s_features_are_its_pooled_activations() -> None:
    """The calibration after its classifier layer is walked through: the features are the
    2,048 pooled activations the Gemm reads, not a calibration tensor."""
    from pathlib import Path  # noqa: PLC0415

    model = onnx.load(str(Path(__file__).parents[3] / "models" / "inception_v3.onnx"),
                      load_external_data=False)
    assert penultimate_tensor(model) == "features"
