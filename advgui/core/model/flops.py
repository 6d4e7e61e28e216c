"""Floating-point work of a model: what the cost model and the speed benchmark count."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import shape_inference


def conv_flops(model: onnx.ModelProto, batch_dims: dict[str, int]) -> float:
    """Multiply-adds x 2 of Conv, ConvTranspose and Gemm nodes, per image."""
    inferred = shape_inference.infer_shapes(model)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        dims = vi.type.tensor_type.shape.dim
        shapes[vi.name] = [d.dim_value or batch_dims.get(d.dim_param, 1) for d in dims]
    weights = {t.name: list(t.dims) for t in model.graph.initializer}
    total = 0.0
    for n in model.graph.node:
        if n.op_type in ("Conv", "ConvTranspose") and n.input[1] in weights:
            w = weights[n.input[1]]
            k = int(np.prod(w[2:]))
            if n.op_type == "Conv":
                out = shapes.get(n.output[0])
                if out:
                    total += 2.0 * np.prod(out[1:]) * w[1] * k
            else:
                src = shapes.get(n.input[0])
                if src:
                    total += 2.0 * np.prod(src[1:]) * w[1] * k
        elif n.op_type == "Gemm" and n.input[1] in weights:
            total += 2.0 * np.prod(weights[n.input[1]])
    return total
