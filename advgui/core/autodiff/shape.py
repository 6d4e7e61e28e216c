"""Backward rules of operators that only move values: reshapes, transposes, concat/split, pad,
expand."""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.autodiff.context import Context, attrs_of
from advgui.core.autodiff.helpers import (Grads, axis_of, first as _first, positive_mask,
                                          relu_read_only_by, unbroadcast)


def reshape(ctx, node, gouts, needs) -> Grads:
    """Flatten, Reshape, Squeeze and Unsqueeze: the gradient takes the input's shape back."""
    return [ctx.reshape_like(_first(gouts), node.input[0])] + [None] * (len(node.input) - 1)


def transpose(ctx, node, gouts, needs) -> Grads:
    perm = attrs_of(node).get("perm") or list(reversed(range(len(ctx.shape(node.input[0])))))
    return [ctx.op("Transpose", [_first(gouts)], perm=[int(i) for i in np.argsort(perm)])]


def _only_relus(ctx: Context, node: onnx.NodeProto) -> bool:
    """Every input is a ReLU output that nothing but this Concat reads."""
    return all(relu_read_only_by(ctx, x, node) for x in set(node.input))


def concat(ctx, node, gouts, needs) -> Grads:
    axis = axis_of(ctx, node, 0)
    sizes = [ctx.static(x, slice(axis, axis + 1))[0] for x in node.input]
    g = _first(gouts)
    if _only_relus(ctx, node):
        # The concatenation of ReLU masks is the mask of the concatenation: applying it once
        # before the Split keeps the multiply in ONNX Runtime's NCHWc layout (the Split cannot
        # be), and the ReLU rules then pass these gradients through.
        g = ctx.op("Mul", [g, positive_mask(ctx, node.output[0])])
        ctx.premasked.update(node.input)
    parts = ctx.op("Split", [g, ctx.ints(sizes)], n_out=len(sizes), axis=axis)
    parts = [parts] if isinstance(parts, str) else parts
    return [p if need else None for p, need in zip(parts, needs)]


def split(ctx, node, gouts, needs) -> Grads:
    axis = axis_of(ctx, node, 0)
    pieces = [g if g is not None else ctx.zeros_like(y) for g, y in zip(gouts, node.output)]
    return [ctx.op("Concat", pieces, axis=axis)] + [None] * (len(node.input) - 1)


def pad(ctx, node, gouts, needs) -> Grads:
    a = attrs_of(node)
    mode = a.get("mode", b"constant")
    if mode not in (b"constant", "constant"):
        raise ctx.fail("only constant-mode Pad is supported")
    pads = ctx.constant(node.input[1]) if len(node.input) > 1 else None
    if pads is None or (len(node.input) > 3 and node.input[3]):
        raise ctx.fail("Pad needs constant pads over all axes")
    pads = [int(p) for p in pads]
    rank = len(pads) // 2
    starts = pads[:rank]
    ends = [-p if p > 0 else np.iinfo(np.int64).max for p in pads[rank:]]
    if any(p < 0 for p in pads):
        raise ctx.fail("negative Pad (cropping) is not supported")
    grad = ctx.op("Slice", [_first(gouts), ctx.ints(starts), ctx.ints(ends),
                            ctx.ints(list(range(rank)))])
    return [grad] + [None] * (len(node.input) - 1)


def expand(ctx, node, gouts, needs) -> Grads:
    """Expand broadcasts its input: the gradient sums back over the broadcast dims."""
    return [unbroadcast(ctx, _first(gouts), node.input[0], node.output[0]), None]
