"""A classifier's graph without its weights' bytes, and the weights as ONNX Runtime values.

The explanation sessions are built while the window runs (a job on its thread pool). Copying and
serializing InceptionV3's 95 MB of weights into each new graph holds Python's GIL for up to 0.9 s
in one C call (measured: the window's event loop stalled 1.8 s); instead every large initializer
is marked external in a light copy of the graph and handed to ONNX Runtime from memory, once,
shared by the three sessions.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

from advgui.core.autodiff.context import external_stub

SMALL = 4096  # elements: smaller initializers (shapes, axes, scalars) stay in the graph


def light_model(model: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, np.ndarray],
                                                  dict[str, ort.OrtValue]]:
    """The model with each large initializer external (no bytes), and those values by name, as
    arrays (for the gradient builder's rules that read a weight) and as ONNX Runtime values."""
    light = onnx.ModelProto(ir_version=model.ir_version, opset_import=list(model.opset_import),
                            metadata_props=list(model.metadata_props))
    graph = onnx.GraphProto(name=model.graph.name, node=model.graph.node, input=model.graph.input,
                            output=model.graph.output, value_info=model.graph.value_info)
    arrays: dict[str, np.ndarray] = {}
    values: dict[str, ort.OrtValue] = {}
    for t in model.graph.initializer:
        if int(np.prod(t.dims)) <= SMALL:
            graph.initializer.append(t)
            continue
        array = np.ascontiguousarray(numpy_helper.to_array(t))
        arrays[t.name] = array
        values[t.name] = ort.OrtValue.ortvalue_from_numpy(array)
        graph.initializer.append(external_stub(t.name, array))
    light.graph.CopyFrom(graph)
    return light, arrays, values
