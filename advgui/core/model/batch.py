"""A model exported with a fixed batch of 1 (torch.onnx.export's default) made to take any batch.

advgui scores the float and 8-bit results of an attack, and a study's images, as one batch.
Rewriting the input's and output's dim 0 to a symbolic "N" is enough for most graphs; a graph
whose Reshape targets bake in the batch (``[1, C, -1]``) needs those targets' leading 1 turned
into 0 (copy the input's dim 0) as well. Either rewrite is kept only when a batch of two gives
what each image gives alone (the caller checks); otherwise the classifier scores one image at a
time.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

BATCH = "N"


def has_fixed_batch_one(model: onnx.ModelProto, input_name: str) -> bool:
    info = next(i for i in model.graph.input if i.name == input_name)
    dims = info.type.tensor_type.shape.dim
    return bool(dims) and dims[0].HasField("dim_value") and dims[0].dim_value == 1


def _free(value: onnx.ValueInfoProto) -> None:
    dims = value.type.tensor_type.shape.dim
    if dims and dims[0].HasField("dim_value") and dims[0].dim_value == 1:
        dims[0].dim_param = BATCH  # setting the oneof field clears dim_value


def _reshape_targets(model: onnx.ModelProto) -> int:
    """Turn [1, ...] Reshape targets held in initializers or Constant nodes into [0, ...]."""
    readers: dict[str, list[tuple[onnx.NodeProto, int]]] = {}
    for node in model.graph.node:
        for k, name in enumerate(node.input):
            readers.setdefault(name, []).append((node, k))

    def only_reshape_shapes(name: str) -> bool:
        return all(n.op_type == "Reshape" and k == 1 and not any(
            a.name == "allowzero" and a.i for a in n.attribute) for n, k in readers.get(name, []))

    changed = 0
    tensors = [(t.name, t) for t in model.graph.initializer]
    tensors += [(n.output[0], n.attribute[0].t) for n in model.graph.node
                if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value"]
    for name, t in tensors:
        if t.data_type != onnx.TensorProto.INT64 or len(t.dims) != 1 or not readers.get(name):
            continue
        if not only_reshape_shapes(name):
            continue
        values = numpy_helper.to_array(t)
        if values.size >= 2 and values[0] == 1:
            values = values.copy()
            values[0] = 0
            t.CopyFrom(numpy_helper.from_array(values.astype(np.int64), t.name))
            changed += 1
    return changed


def batched_variants(model: onnx.ModelProto, input_name: str) -> list[onnx.ModelProto]:
    """Rewrites of a fixed-batch-1 model to try, simplest first."""
    light = onnx.ModelProto()
    light.CopyFrom(model)
    for value in light.graph.input:
        if value.name == input_name:
            _free(value)
    for value in light.graph.output:
        _free(value)
    del light.graph.value_info[:]  # inferred batch-1 shapes would contradict a batch of 2
    variants = [light]
    reshaped = onnx.ModelProto()
    reshaped.CopyFrom(light)
    if _reshape_targets(reshaped):
        variants.append(reshaped)
    return variants
