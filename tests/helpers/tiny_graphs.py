"""Tiny generated ONNX classifiers for exhaustive numeric tests (no committed binaries)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from tests.helpers.reference_ops import evaluator

CLASSES = 5


class Body:
    """Nodes from input 'x' to some tensor, plus their constants, in a chosen float type."""

    def __init__(self, shape: tuple[int, ...], dtype=np.float64, seed: int = 0) -> None:
        self.shape, self.dtype = shape, np.dtype(dtype)
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}{self._n}"

    def const(self, array, dtype=None) -> str:
        name = self.name("w")
        a = np.asarray(array, dtype=self.dtype if dtype is None else dtype)
        self.inits.append(numpy_helper.from_array(a, name))
        return name

    def weight(self, *shape: int, scale: float = 0.5) -> str:
        return self.const(self.rng.normal(0, scale, size=shape))

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, x: str, c_in: int, c_out: int, k: int = 3, group: int = 1, **attrs) -> str:
        return self.op("Conv", [x, self.weight(c_out, c_in // group, k, k),
                                self.weight(c_out, scale=0.1)], group=group, **attrs)

    def elem(self) -> int:
        return helper.np_dtype_to_tensor_dtype(self.dtype)

    def classifier(self, h: str, softmax_output: bool = False) -> onnx.ModelProto:
        """Flatten h and map it to CLASSES logits (or probabilities)."""
        probe = self._model(h, [None])
        width = int(np.prod(evaluator(probe).run(
            None, {"x": np.zeros((1,) + self.shape, self.dtype)})[0].shape[1:]))
        f = self.op("Flatten", [h], axis=1)
        logits = self.op("MatMul", [f, self.weight(width, CLASSES, scale=1.0 / np.sqrt(width))])
        out = self.op("Softmax", [logits], axis=-1) if softmax_output else logits
        return self._model(out, ["N", CLASSES])

    def _model(self, out: str, out_shape) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, "tiny",
            [helper.make_tensor_value_info("x", self.elem(), ["N", *self.shape])],
            [helper.make_tensor_value_info(out, self.elem(), None)], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        return model


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def objective(forward: ReferenceEvaluator, x: np.ndarray, target: np.ndarray,
              direction: np.ndarray, outputs_probabilities: bool) -> float:
    """sum_i direction_i * CE_i: its gradient is what the gradient graph returns."""
    y = forward.run(None, {"x": x})[0]
    p = y if outputs_probabilities else softmax(y)
    ce = -np.log(p[np.arange(len(x)), target])
    return float((direction * ce).sum())


def finite_difference(forward: ReferenceEvaluator, x: np.ndarray, target: np.ndarray,
                      direction: np.ndarray, probs: bool, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        up = objective(forward, x, target, direction, probs)
        flat[i] = keep - h
        down = objective(forward, x, target, direction, probs)
        flat[i] = keep
        gflat[i] = (up - down) / (2 * h)
    return grad
