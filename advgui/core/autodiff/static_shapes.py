"""What the gradient builder must know of a model before it emits a rule: every tensor's dims.

The rules emit shape-specific nodes (reshape targets, broadcast axes, pooling windows), so the
builder works on a skeleton of the model (its large weights' values dropped: copying 100 MB around
held the GIL for about a second) whose image dims are fixed, runs ONNX shape inference, and where
inference gives up, measures the missing dims (and the index inputs a rule needs constant) with one
CPU run. The gradients it emits are declared with their forward tensors' types, so ONNX Runtime
keeps the backward pass in its fast layout. Apart from build.py, which sweeps the graph in reverse
and assembles the gradient graph; intermediate.py uses the same shape knowledge.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, shape_inference


def _shapes(model: onnx.ModelProto) -> tuple[dict[str, list[int | None]],
                                             dict[str, onnx.ValueInfoProto]]:
    """Static dims of every tensor (None where symbolic), and the inferred type of each."""
    inferred = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    shapes: dict[str, list[int | None]] = {}
    infos: dict[str, onnx.ValueInfoProto] = {}
    g = inferred.graph
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            infos[vi.name] = vi
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    return shapes, infos


# Inputs whose values a rule must know at build time, by op type: (positions, the rule's need).
VALUE_INPUTS = {"Slice": (1, 2, 3, 4), "Pad": (1, 3)}


def _measure_unknown_shapes(full: onnx.ModelProto, model: onnx.ModelProto, image: str,
                            needed: list[onnx.NodeProto], shapes: dict[str, list[int | None]],
                            constants: set[str]) -> dict[str, np.ndarray]:
    """Fill in the dims that shape inference left unknown by running the model once.

    ONNX shape inference gives up at some patterns (a Concat after ViT's class-token Expand, a
    GlobalAveragePool after Swin's permute) although every dim is fixed once the image size is.
    Every tensor a differentiated node reads or writes (a rule may need the shape of a constant
    branch too, like the expanded class token) with an unknown dim becomes a graph output of one CPU run on a zero
    image of the model's input shape; with a symbolic batch a second run at batch 2 tells which
    dims follow the batch, and those stay symbolic (None).

    The same run gives the values of the index inputs that a rule needs constant (Swin's Slice
    starts and ends, computed from Shape): returned when both runs agree on them, so they do
    not depend on the batch.
    """
    image_type = next(i for i in model.graph.input if i.name == image).type.tensor_type
    image_dims = image_type.shape.dim
    fixed_batch = image_dims[0].HasField("dim_value")
    if not all(d.HasField("dim_value") for d in image_dims[1:]):
        return {}  # no input size to run with: the rules report what they miss
    inits = {t.name for t in full.graph.initializer}
    wanted = []
    for node in needed:
        for name in list(node.input) + list(node.output):
            if not name or name == image or name in inits:
                continue
            shape = shapes.get(name)
            if shape is None or any(d is None for d in (shape if fixed_batch else shape[1:])):
                wanted.append(name)
    values_wanted = [node.input[i] for node in needed
                     for i in VALUE_INPUTS.get(node.op_type, ())
                     if len(node.input) > i and node.input[i] and node.input[i] not in constants]
    wanted = list(dict.fromkeys(wanted + values_wanted))
    if not wanted:
        return {}
    import onnxruntime as ort  # noqa: PLC0415 (only models that need it pay for the import)

    probe = onnx.ModelProto()
    probe.CopyFrom(full)
    for d, src in zip(probe.graph.input, model.graph.input):
        if d.name == image:
            d.CopyFrom(src)
    present = {o.name for o in probe.graph.output}
    probe.graph.output.extend(onnx.ValueInfoProto(name=n) for n in wanted if n not in present)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(probe.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        dims = [d.dim_value for d in image_dims[1:]]
        elem = helper.tensor_dtype_to_np_dtype(image_type.elem_type)
        runs = [dict(zip(names, session.run(None, {image: np.zeros([b, *dims], elem)})))
                for b in ((1,) if fixed_batch else (1, 2))]
    except Exception:  # onnxruntime's own error types; the rules then report the unknown dim
        return {}
    for name in wanted:
        one = runs[0].get(name)
        if one is None:
            continue
        measured: list[int | None] = list(one.shape)
        if len(runs) > 1:
            two = runs[1][name].shape
            measured = [a if a == b else None for a, b in zip(one.shape, two)]
        known = shapes.get(name)
        if known is not None and len(known) == len(measured):
            measured = [k if k is not None else m for k, m in zip(known, measured)]
        shapes[name] = measured
    values = {}
    for name in values_wanted:
        found = [run.get(name) for run in runs]
        if all(v is not None and v.dtype.kind == "i" and v.size <= 64
               and np.array_equal(v, found[0]) for v in found):
            values[name] = found[0]
    return values


def _gradient_infos(grad_of: dict[str, str],
                    infos: dict[str, onnx.ValueInfoProto]) -> list[onnx.ValueInfoProto]:
    """Declare that each gradient has its forward tensor's type and shape.

    ONNX shape inference loses the batch dim at the first Reshape of the backward pass;
    without these, ONNX Runtime cannot prove that a gradient and its ReLU mask have the
    same shape and keeps the whole backward pass out of its blocked (NCHWc) layout.
    """
    out = []
    for g, name in grad_of.items():
        if name in infos:
            vi = onnx.ValueInfoProto()
            vi.CopyFrom(infos[name])
            vi.name = g
            out.append(vi)
    return out


SMALL = 4096  # elements: initializers up to this size keep their values in the skeleton


def _skeleton(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy without the large weights' values (names, types and dims stay).

    Shape inference and graph surgery only need dims and the small constants (reshape targets,
    clip bounds, axes); copying 100 MB of weights around would hold the GIL for about a second.
    """
    light = onnx.ModelProto(ir_version=model.ir_version, opset_import=list(model.opset_import))
    graph = onnx.GraphProto(name=model.graph.name, node=model.graph.node, input=model.graph.input,
                            output=model.graph.output, value_info=model.graph.value_info)
    for t in model.graph.initializer:
        if int(np.prod(t.dims)) <= SMALL:
            graph.initializer.append(t)
        else:
            graph.initializer.append(onnx.TensorProto(name=t.name, dims=t.dims,
                                                      data_type=t.data_type))
    light.graph.CopyFrom(graph)
    return light


def _with_static_input(model: onnx.ModelProto, image: str,
                       size: tuple[int, ...] | None) -> onnx.ModelProto:
    """Fix the image's non-batch dims so every spatial shape is known at build time."""
    model = _skeleton(model)
    info = next(i for i in model.graph.input if i.name == image)
    dims = info.type.tensor_type.shape.dim
    if size is not None:
        for d, value in zip(dims[1:], size):
            if not d.HasField("dim_value"):
                d.dim_value = value
    return model
