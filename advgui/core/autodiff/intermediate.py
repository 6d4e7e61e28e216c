"""Gradients of one class score with respect to chosen tensors of the graph (input or inside).

The attack's graph (build.py) differentiates a cross-entropy with respect to the image; the
explanation views need d score / d T for a class's logit and an intermediate tensor T (Grad-CAM
on the last spatial feature map) or the image (the input-gradient map), with T's forward value.
The same reversed rules are emitted, only from the nodes downstream of the chosen tensors, so a
gradient with respect to the last feature map costs little more than the forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper

from advgui.core.autodiff.build import backpropagate, gradient_model, prepare
from advgui.core.autodiff.context import UnsupportedModel
from advgui.core.autodiff.static_shapes import _gradient_infos, _shapes, _with_static_input


@dataclass(frozen=True)
class TensorGradientSpec:
    """Names of the graph's inputs and outputs.

    Inputs: ``image`` (the model's input) and ``target`` int64 [N]: the class whose score is
    differentiated; a negative entry means the image's own top-1 class.
    Outputs: ``logits`` [N, K] (the score tensor: the input of a final Softmax, else the model's
    output), ``target_used`` int64 [N] (the class differentiated), and per chosen tensor i,
    ``values[i]`` (its forward value) and ``gradients[i]`` = d logits[n, target_n] / d tensor.
    """

    image: str
    tensors: tuple[str, ...]
    values: tuple[str, ...]
    gradients: tuple[str, ...]
    target: str = "target"
    logits: str = "score_logits"
    target_used: str = "target_used"


def _info_like(info: onnx.ValueInfoProto | None, name: str) -> onnx.ValueInfoProto:
    """An output declared with its tensor's inferred type and shape (name only if unknown)."""
    out = onnx.ValueInfoProto(name=name)
    if info is not None:
        out.CopyFrom(info)
        out.name = name
    return out


def build_tensor_gradient_model(
    model: onnx.ModelProto, tensors: tuple[str, ...], input_size: tuple[int, ...] | None = None,
    constants: dict[str, np.ndarray] | None = None,
    external: dict[str, np.ndarray] | None = None
) -> tuple[onnx.ModelProto, TensorGradientSpec]:
    """One graph returning the logits, and the value and class-score gradient of each tensor.

    ``tensors`` are tensor names of the model's graph (its input's name for the image).
    ``constants``: initializer values by name, for a model whose large initializers are stored
    elsewhere (explain/weights.py: the graph without its weights' bytes). ``external``: if
    given, the large constants the reversed rules make (flipped kernels) are put there and
    marked external in the graph, instead of in it.
    Raises UnsupportedModel if a tensor is unknown, is not on the way to the logits, or a node
    between it and the logits has no backward rule.
    """
    produced = {o for n in model.graph.node for o in n.output} | {i.name for i in model.graph.input}
    unknown = [t for t in tensors if t not in produced]
    if unknown:
        raise UnsupportedModel(f"no tensor named {', '.join(map(repr, unknown))} in the graph")
    p = prepare(model, input_size, sources=tuple(tensors), pinned=tuple(tensors),
                constants=constants)
    ctx, logits = p.ctx, p.logits
    ctx.external = external
    depth = ctx.static(logits, slice(1, 2))[0]
    target = "target"
    # A negative target asks for the image's own top-1 class: chosen inside the graph, so one
    # run explains an image whose top-1 the caller does not know yet (an attack's next step).
    top1 = ctx.op("ArgMax", [logits], axis=1, keepdims=0)
    negative = ctx.op("Less", [target, ctx.const(0, np.int64)])
    used = ctx.op("Where", [negative, top1, target])
    # d logits[n, c] / d logits = onehot(c): the seed of the reversed rules.
    seed = ctx.op("OneHot", [used, ctx.const(depth, np.int64), ctx.const([0, 1])], axis=-1)
    total, grad_of = backpropagate(p, seed)
    spec = TensorGradientSpec(
        image=p.image, tensors=tuple(tensors),
        values=tuple(f"value/{i}" for i in range(len(tensors))),
        gradients=tuple(f"gradient/{i}" for i in range(len(tensors))))
    outputs = [helper.make_node("Identity", [logits], [spec.logits], name="out/logits"),
               helper.make_node("Identity", [used], [spec.target_used], name="out/target_used")]
    for name, value, gradient in zip(tensors, spec.values, spec.gradients):
        g = total(name)
        if g is None:  # the score does not depend on it: its gradient is zero
            g = ctx.zeros_like(name)
        outputs.append(helper.make_node("Identity", [name], [value], name=f"out/{value}"))
        outputs.append(helper.make_node("Identity", [g], [gradient], name=f"out/{gradient}"))
    graph = helper.make_graph(
        p.forward + list(ctx.nodes) + outputs,
        f"{p.model.graph.name}_tensor_gradient",
        [p.image_info, helper.make_tensor_value_info(target, TensorProto.INT64, ["N"])],
        [helper.make_tensor_value_info(spec.logits, p.elem, ["N", depth]),
         helper.make_tensor_value_info(spec.target_used, TensorProto.INT64, ["N"])]
        + [_info_like(p.infos.get(t), n) for t, value, gradient
           in zip(tensors, spec.values, spec.gradients) for n in (value, gradient)],
        list(p.full.graph.initializer) + ctx.initializers,
        value_info=_gradient_infos(grad_of, p.infos),
    )
    return gradient_model(graph, p), spec


def tensor_shapes(model: onnx.ModelProto,
                  input_size: tuple[int, ...] | None = None) -> dict[str, list[int | None]]:
    """Every tensor's dims as shape inference gives them with the image's dims fixed (None where
    symbolic: the batch), for choosing which tensors to explain."""
    inits = {t.name for t in model.graph.initializer}
    image = next(i.name for i in model.graph.input if i.name not in inits)
    return _shapes(_with_static_input(model, image, input_size))[0]
