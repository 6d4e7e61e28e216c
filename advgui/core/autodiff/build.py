"""Assemble the gradient graph: forward nodes, a cross-entropy head, and reversed rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, version_converter

from advgui.core.autodiff.context import Context, UnsupportedModel, describe
from advgui.core.autodiff.static_shapes import (_gradient_infos, _measure_unknown_shapes, _shapes,
                                                _with_static_input)
from advgui.core.autodiff.table import NON_DIFFERENTIABLE, RULES

MIN_OPSET = 13


@dataclass(frozen=True)
class GradientSpec:
    """Names of the gradient graph's inputs and outputs.

    Inputs: ``image`` (the model's input), ``target`` int64 [N], ``direction`` [N] of +1 (away
    from the target: the loss grows) or -1 (towards it: the loss shrinks).
    Outputs: ``probabilities`` [N, K], ``loss`` [N] (cross-entropy of the target class) and
    ``gradient`` = direction * d loss / d image, so an attack always steps along +sign(gradient).
    """

    image: str
    target: str = "target"
    direction: str = "direction"
    probabilities: str = "probabilities"
    loss: str = "loss"
    gradient: str = "gradient"


def _logits_of(model: onnx.ModelProto) -> str:
    """The tensor to treat as logits: the input of a final Softmax, else the output itself.

    The final Softmax stays in the forward part but is never differentiated.
    """
    out = model.graph.output[0].name
    for node in model.graph.node:
        if out in node.output and node.op_type == "Softmax":
            return node.input[0]
    return out


def _active(model: onnx.ModelProto, source: str) -> set[str]:
    active = {source}
    for node in model.graph.node:
        if node.op_type in NON_DIFFERENTIABLE:
            continue
        if any(i in active for i in node.input if i):
            active.update(o for o in node.output if o)
    return active


@dataclass(frozen=True)
class MissingRule:
    """An operator type with no backward rule: how many nodes use it, and the first of them."""

    op_type: str
    count: int
    first: onnx.NodeProto
    position: int  # of the first node in the graph, from 1

    def where(self) -> str:
        """The first node by name, output and position (dynamo exports name nodes 'n0')."""
        out = next((o for o in self.first.output if o), "")
        return f"node '{self.first.name or out}', output '{out}', node {self.position}"


class UnsupportedOperators(UnsupportedModel):
    """Operators without a backward rule, every type with its count and first node.

    The message names the first node as it always did; the user-facing one (one line without
    the list of supported operators) is ``summary()``.
    """

    def __init__(self, missing: list[MissingRule], nodes: int) -> None:
        self.missing, self.nodes = missing, nodes
        first = min(missing, key=lambda m: m.position)
        super().__init__(f"{describe(first.first)}: operator {first.op_type} is not supported by "
                         f"the gradient builder (supported: {', '.join(sorted(RULES))})")

    def summary(self) -> str:
        kinds = "; ".join(f"{m.op_type} x{m.count} (first: {m.where()} of {self.nodes})"
                          for m in self.missing)
        plural = "s" if len(self.missing) > 1 else ""
        return f"no gradient rule for {len(self.missing)} operator type{plural}: {kinds}"


def _unsupported(forward: list[onnx.NodeProto], needed: list[onnx.NodeProto],
                 active: set[str]) -> list[MissingRule]:
    position = {id(n): i for i, n in enumerate(forward, start=1)}
    found: dict[str, MissingRule] = {}
    for node in needed:
        if node.op_type in RULES or node.op_type in NON_DIFFERENTIABLE:
            continue
        if not any(i in active for i in node.input):
            continue
        seen = found.get(node.op_type)
        found[node.op_type] = (MissingRule(node.op_type, seen.count + 1, seen.first, seen.position)
                               if seen else MissingRule(node.op_type, 1, node, position[id(node)]))
    return sorted(found.values(), key=lambda m: m.position)


class GradientRuleError(AssertionError):
    """A backward rule broke its contract: a bug in the gradient builder, not in the model."""


def _check_rule_result(node: onnx.NodeProto, gins: object) -> None:
    """A rule must return exactly one gradient entry (a name or None) per node input.

    zip() would silently drop the inputs of a rule that returns too few entries, leaving their
    gradients out of the total without any error.
    """
    count = len(gins) if isinstance(gins, (list, tuple)) else None
    if count != len(node.input):
        got = f"{count} gradient entries" if count is not None else f"a {type(gins).__name__}"
        raise GradientRuleError(
            f"internal error in the gradient builder: the {node.op_type} rule returned {got} "
            f"for {describe(node)} with {len(node.input)} inputs (one entry per input expected)")


@dataclass
class Prepared:
    """A classifier made ready to differentiate: its forward nodes, shapes and emission context."""

    full: onnx.ModelProto  # with its weights
    model: onnx.ModelProto  # the skeleton, its input dims fixed
    image: str
    image_info: onnx.ValueInfoProto
    elem: int
    opset: int
    logits: str
    forward: list[onnx.NodeProto]
    inits: set[str]
    ctx: Context
    infos: dict[str, onnx.ValueInfoProto]
    active: set[str]
    needed: list[onnx.NodeProto]


def prepare(model: onnx.ModelProto, input_size: tuple[int, ...] | None = None,
            sources: tuple[str, ...] | None = None, pinned: tuple[str, ...] = (),
            constants: dict[str, np.ndarray] | None = None) -> Prepared:
    """Check a classifier and set up the differentiation of its logits.

    ``sources``: the tensors whose gradients are wanted (default: the image); only the nodes
    downstream of them are differentiated. ``pinned``: tensors whose own gradient is read out,
    so no rule may fold a ReLU mask into it (see Context.pinned). ``constants``: initializer
    values the model's graph does not hold (stored elsewhere).
    """
    if len(model.graph.input) < 1 or len(model.graph.output) < 1:
        raise UnsupportedModel("model must have an input and an output")
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < MIN_OPSET:
        model = version_converter.convert_version(model, MIN_OPSET)
    inits = {t.name for t in model.graph.initializer}
    real_inputs = [i for i in model.graph.input if i.name not in inits]
    if len(real_inputs) != 1:
        raise UnsupportedModel(f"model must have exactly one image input, has {len(real_inputs)}")
    image = real_inputs[0].name
    full = model
    model = _with_static_input(model, image, input_size)
    image_info = next(i for i in model.graph.input if i.name == image)
    elem = image_info.type.tensor_type.elem_type
    dtype = helper.tensor_dtype_to_np_dtype(elem)
    if dtype not in (np.float32, np.float64, np.float16):
        raise UnsupportedModel(f"input element type {dtype} is not a float type")

    logits = _logits_of(model)
    active: set[str] = set()
    for source in sources or (image,):
        active |= _active(model, source)
    if logits not in active:
        what = "its input" if sources is None else ", ".join(sources)
        raise UnsupportedModel(f"the model output does not depend on {what}")
    forward = [onnx.NodeProto.FromString(n.SerializeToString()) for n in model.graph.node]
    needed = [n for n in forward if any(o in active for o in n.output)]
    missing = _unsupported(forward, needed, active)
    if missing:
        raise UnsupportedOperators(missing, len(forward))

    shapes, infos = _shapes(model)
    ctx = Context(full, shapes, dtype, pinned=set(pinned))
    ctx.add_constants(constants or {})
    ctx.add_constants(_measure_unknown_shapes(full, model, image, needed, shapes,
                                              ctx.known_constants()))
    return Prepared(full, model, image, image_info, elem, max(opset, MIN_OPSET), logits, forward,
                    inits, ctx, infos, active, needed)


def backpropagate(p: Prepared, seed: str) -> tuple[Callable[[str], str | None], dict[str, str]]:
    """Emit the reversed rules from ``seed`` = d objective / d logits.

    Returns the total gradient of a tensor (None where the objective does not reach it) and
    the map from each gradient tensor to the tensor it belongs to.
    """
    ctx = p.ctx
    grads: dict[str, list[str]] = {p.logits: [seed]}
    grad_of: dict[str, str] = {seed: p.logits}  # gradient tensor -> the tensor it belongs to

    def total(name: str) -> str | None:
        parts = grads.get(name)
        if not parts:
            return None
        if len(parts) > 1:
            grads[name] = [ctx.op("Sum", parts)]
            grad_of[grads[name][0]] = name
        return grads[name][0]

    for node in reversed(p.needed):
        if node.op_type in NON_DIFFERENTIABLE:
            continue
        gouts = [total(o) if o else None for o in node.output]
        if all(g is None for g in gouts):
            continue
        needs = [bool(i) and i in p.active and i not in p.inits for i in node.input]
        if not any(needs):
            continue
        ctx.current = node
        gins = RULES[node.op_type](ctx, node, gouts, needs)
        _check_rule_result(node, gins)
        for name, g, need in zip(node.input, gins, needs):
            if need and g is not None:
                grads.setdefault(name, []).append(g)
                grad_of.setdefault(g, name)
    ctx.current = None
    return total, grad_of


def build_gradient_model(
    model: onnx.ModelProto, input_size: tuple[int, ...] | None = None
) -> tuple[onnx.ModelProto, GradientSpec]:
    """Return the one-run probabilities / loss / gradient graph of a classifier.

    ``input_size`` gives the non-batch dims (C, H, W) when the model leaves them symbolic.
    Raises UnsupportedModel naming the first node that cannot be differentiated.
    """
    p = prepare(model, input_size)
    ctx, logits, image, elem = p.ctx, p.logits, p.image, p.elem
    spec = GradientSpec(image=image)
    # Cross-entropy head: d CE / d logits = softmax - onehot, scaled by the direction.
    depth = ctx.static(logits, slice(1, 2))[0]
    probs = ctx.op("Softmax", [logits], axis=-1)
    log_probs = ctx.op("LogSoftmax", [logits], axis=-1)
    onehot = ctx.op("OneHot", [spec.target, ctx.const(depth, np.int64), ctx.const([0, 1])], axis=-1)
    picked = ctx.op("ReduceSum", [ctx.op("Mul", [onehot, log_probs]), ctx.ints([1])], keepdims=0)
    head_nodes = list(ctx.nodes)
    ctx.nodes.clear()
    direction = ctx.op("Unsqueeze", [spec.direction, ctx.ints([1])])
    seed = ctx.op("Mul", [ctx.op("Sub", [probs, onehot]), direction])
    total, grad_of = backpropagate(p, seed)
    grad_image = total(image)
    if grad_image is None:
        grad_image = ctx.zeros_like(image)
    backward = list(ctx.nodes)
    outputs = [
        helper.make_node("Identity", [probs], [spec.probabilities], name="out/probabilities"),
        helper.make_node("Neg", [picked], [spec.loss], name="out/loss"),
        helper.make_node("Identity", [grad_image], [spec.gradient], name="out/gradient"),
    ]
    grad_info = onnx.ValueInfoProto.FromString(p.image_info.SerializeToString())
    grad_info.name = spec.gradient
    graph = helper.make_graph(
        p.forward + head_nodes + backward + outputs,
        f"{p.model.graph.name}_gradient",
        [p.image_info,
         helper.make_tensor_value_info(spec.target, TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info(spec.direction, elem, ["N"])],
        [helper.make_tensor_value_info(spec.probabilities, elem, ["N", depth]),
         helper.make_tensor_value_info(spec.loss, elem, ["N"]),
         grad_info],
        list(p.full.graph.initializer) + ctx.initializers,
        value_info=_gradient_infos(grad_of, p.infos),
    )
    return gradient_model(graph, p), spec


def gradient_model(graph, p) -> onnx.ModelProto:
    """A built graph as a model, at the source model's opset and IR version (shared by the
    attack's gradient graph and the intermediate-tensor one)."""
    out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", p.opset)],
                            producer_name="advgui-autodiff")
    out.ir_version = p.model.ir_version
    return out
