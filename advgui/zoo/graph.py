"""A small helper to write ONNX graphs layer by layer with onnx.helper."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
BN_EPS_TF = 1e-3


class GraphBuilder:
    """Accumulates nodes and initializers; names are made unique with a counter."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, **attrs) -> str:
        out = name or self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def conv(
        self,
        x: str,
        name: str,
        weight: np.ndarray,
        bias: np.ndarray | None,
        *,
        strides: tuple[int, int] = (1, 1),
        pads: tuple[int, int, int, int] = (0, 0, 0, 0),
        group: int = 1,
    ) -> str:
        inputs = [x, self.constant(f"{name}.weight", weight.astype(np.float32))]
        if bias is not None:
            inputs.append(self.constant(f"{name}.bias", bias.astype(np.float32)))
        return self.op(
            "Conv",
            inputs,
            name=name,
            kernel_shape=list(weight.shape[2:]),
            strides=list(strides),
            pads=list(pads),
            group=group,
        )

    def model(
        self,
        input_name: str,
        input_shape: list,
        output_name: str,
        output_shape: list,
        metadata: dict[str, str],
        doc: str,
    ) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, input_shape)],
            [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, output_shape)],
            self.initializers,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="advgui",
            doc_string=doc,
        )
        model.ir_version = 8
        helper.set_model_props(model, metadata)
        onnx.checker.check_model(model)
        return model


def fold_batchnorm(
    weight: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    beta: np.ndarray,
    gamma: np.ndarray | None = None,
    eps: float = BN_EPS_TF,
) -> tuple[np.ndarray, np.ndarray]:
    """Fold inference batch norm into the preceding bias-free convolution.

    Done in float64 so the folded float32 weights lose nothing to the fold itself.
    """
    scale = 1.0 / np.sqrt(var.astype(np.float64) + eps)
    if gamma is not None:
        scale = scale * gamma.astype(np.float64)
    folded = weight.astype(np.float64) * scale[:, None, None, None]
    bias = beta.astype(np.float64) - mean.astype(np.float64) * scale
    return folded.astype(np.float32), bias.astype(np.float32)
