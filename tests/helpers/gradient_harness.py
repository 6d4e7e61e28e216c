"""A case's model, its input and its float64 reference gradient, as the autodiff tests use them."""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.autodiff import build_gradient_model
from tests.helpers.gradient_cases import Case
from tests.helpers.reference_ops import evaluator
from tests.helpers.tiny_graphs import Body

SHAPE = (2, 6, 6)
TARGET = np.array([1, 3])
DIRECTION = np.array([1.0, -1.0])


FIXED_BATCH = {"layer_norm_scale_from_image"}  # cases that mix the batch's images


class NewerBody(Body):
    """A Body whose models declare a newer opset (Mish is opset 18, Gelu opset 20)."""

    def __init__(self, opset: int, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.opset = opset

    def _model(self, out, out_shape) -> onnx.ModelProto:
        model = super()._model(out, out_shape)
        model.opset_import[0].version = self.opset
        model.ir_version = 10
        return model


def _model(case: Case, dtype, softmax_output: bool = False, seed: int = 0) -> onnx.ModelProto:
    name = case.__name__[2:]
    if name.endswith(("_opset18", "_opset20")):
        b = NewerBody(int(name[-2:]), SHAPE, dtype, seed)
    else:
        b = Body(SHAPE, dtype, seed)
    model = b.classifier(case(b), softmax_output)
    if name in FIXED_BATCH:
        model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = len(TARGET)
    return model


def _input(dtype, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(2, *SHAPE)).astype(dtype)


def _reference_gradient(model: onnx.ModelProto, x: np.ndarray):
    grad_model, spec = build_gradient_model(model)
    onnx.checker.check_model(grad_model)
    out = evaluator(grad_model).run(None, {spec.image: x, spec.target: TARGET,
                                                    spec.direction: DIRECTION.astype(x.dtype)})
    return dict(zip([spec.probabilities, spec.loss, spec.gradient], out))