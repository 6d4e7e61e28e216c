"""float32 gradients on ONNX Runtime match the float64 reference; the ReLU mask is exactly 0/1."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from advgui.core.autodiff import build_gradient_model
from tests.helpers.gradient_cases import CASES
from tests.helpers.gradient_harness import DIRECTION, TARGET, _input, _model, _reference_gradient


@pytest.mark.parametrize("name", ["residual_branches", "maxpool_ceil", "avgpool_ceil",
                                  "avgpool_exclude_pad", "global_pools", "conv_transpose",
                                  "gemm", "batchnorm", "activations", "relu_concat",
                                  "relu_maxpool", "attention_block", "gather_class_token",
                                  "slice_steps", "hard_activations", "gelu_opset20",
                                  "mish_opset18", "reduce_sum_max", "unary_maths",
                                  "layer_norm_scale_from_image"])
def test_onnxruntime_float32_matches_reference(name: str) -> None:
    x64 = _input(np.float64)
    want = _reference_gradient(_model(CASES[name], np.float64), x64)
    grad_model, spec = build_gradient_model(_model(CASES[name], np.float32))
    session = ort.InferenceSession(grad_model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    probs, loss, grad = session.run(None, {spec.image: x64.astype(np.float32),
                                           spec.target: TARGET,
                                           spec.direction: DIRECTION.astype(np.float32)})
    np.testing.assert_allclose(probs, want["probabilities"], atol=1e-5)
    np.testing.assert_allclose(loss, want["loss"], rtol=1e-4, atol=1e-5)
    scale = np.abs(want["gradient"]).max()
    np.testing.assert_allclose(grad, want["gradient"], atol=1e-4 * scale)


def test_float32_relu_mask_is_exactly_zero_or_one() -> None:
    # The float32 mask is tanh(3e38 * y) run as ONNX Runtime's depthwise convolution.
    from advgui.core.autodiff.context import Context
    from advgui.core.autodiff.helpers import positive_mask
    y = np.array([0.0, 3e-38, 1.2e-38 * 4, 1e-30, 1e-7, 1.0, 3e8, 3e38, np.inf], np.float32)
    ctx = Context(onnx.ModelProto(), {"y": [1, len(y), 1, 1]}, np.float32)
    mask = positive_mask(ctx, "y")
    graph = onnx.helper.make_graph(
        ctx.nodes, "mask", [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT,
                                                               [1, len(y), 1, 1])],
        [onnx.helper.make_tensor_value_info(mask, onnx.TensorProto.FLOAT, None)],
        ctx.initializers)
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    model.ir_version = 8
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {"y": y.reshape(1, -1, 1, 1)})[0].ravel()
    np.testing.assert_array_equal(got, (y > 0).astype(np.float32))
