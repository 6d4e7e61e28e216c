"""Backward rules of reductions: the gradient spreads back over what was reduced.

ReduceMean and ReduceSum spread it evenly (divided by the count, or not); ReduceMax and
ReduceMin send it to the extreme entries and, where several tie, split it evenly between them,
as torch's amax/amin do (torch.max(x, dim), which returns an index, gives all to one of them;
ties of float activations are rare, and a split is the symmetric choice).
"""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.autodiff.context import Context, attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first


def _axes(ctx: Context, node: onnx.NodeProto) -> list[int]:
    """The reduced axes, non-negative: the attribute (before opset 18; ReduceSum before 13) or
    the constant second input, all axes when neither is given."""
    a, rank = attrs_of(node), len(ctx.shape(node.input[0]))
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        constant = ctx.constant(node.input[1])
        if constant is None:
            raise ctx.fail(f"{node.op_type} axes must be constant")
        axes = constant.reshape(-1).tolist()
    if not axes and a.get("noop_with_empty_axes", 0):
        raise ctx.fail(f"{node.op_type} with noop_with_empty_axes is not supported")
    return sorted(ax % rank for ax in (axes or range(rank)))


def _kept(ctx: Context, node: onnx.NodeProto, t: str, axes: list[int]) -> str:
    """t with the reduced axes back as size-1 dims (a no-op under keepdims=1)."""
    if attrs_of(node).get("keepdims", 1):
        return t
    return ctx.op("Unsqueeze", [t, ctx.ints(axes)])


def _spread(ctx: Context, node: onnx.NodeProto, g: str) -> Grads:
    return [ctx.op("Expand", [g, ctx.op("Shape", [node.input[0]])])] + [None] * (
        len(node.input) - 1)


def reduce_mean(ctx, node, gouts, needs) -> Grads:
    x, axes = node.input[0], _axes(ctx, node)
    count = int(np.prod([ctx.static(x, slice(ax, ax + 1))[0] for ax in axes]))
    g = ctx.op("Div", [_first(gouts), ctx.const(count)])
    return _spread(ctx, node, _kept(ctx, node, g, axes))


def reduce_sum(ctx, node, gouts, needs) -> Grads:
    return _spread(ctx, node, _kept(ctx, node, _first(gouts), _axes(ctx, node)))


def reduce_extreme(ctx, node, gouts, needs) -> Grads:
    """ReduceMax and ReduceMin: to the entries equal to the result, split evenly among ties."""
    x, axes = node.input[0], _axes(ctx, node)
    y = _kept(ctx, node, node.output[0], axes)
    to = onnx.helper.np_dtype_to_tensor_dtype(ctx.dtype)
    hit = ctx.op("Cast", [ctx.op("Equal", [x, y])], to=to)
    ties = ctx.op("ReduceSum", [hit, ctx.ints(axes)], keepdims=1)
    share = ctx.op("Div", [_kept(ctx, node, _first(gouts), axes), ties])
    return [ctx.op("Mul", [hit, share])] + [None] * (len(node.input) - 1)
