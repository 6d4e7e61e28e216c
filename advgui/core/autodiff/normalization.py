"""Backward rules of normalization: inference-mode batch norm (a fixed per-channel scale) and
layer norm (statistics of each sample, so its gradient has two extra terms)."""

from __future__ import annotations

import numpy as np

from advgui.core.autodiff.context import attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first, unbroadcast


def batch_normalization(ctx, node, gouts, needs) -> Grads:
    if any(needs[1:]):
        raise ctx.fail("gradients of batch-norm parameters are not supported")
    if len(node.output) > 1 and any(node.output[1:]):
        raise ctx.fail("training-mode batch norm is not supported")
    eps = attrs_of(node).get("epsilon", 1e-5)
    scale, var = ctx.constant(node.input[1]), ctx.constant(node.input[4])
    rank = len(ctx.shape(node.input[0]))
    if scale is not None and var is not None:
        factor = ctx.const((scale / np.sqrt(var.astype(np.float64) + eps)).reshape(
            [-1] + [1] * (rank - 2)))
    else:
        std = ctx.op("Sqrt", [ctx.op("Add", [node.input[4], ctx.const(eps)])])
        factor = ctx.op("Reshape", [ctx.op("Div", [node.input[1], std]),
                                    ctx.ints([-1] + [1] * (rank - 2))])
    return [ctx.op("Mul", [_first(gouts), factor]), None, None, None, None]


def layer_normalization(ctx, node, gouts, needs) -> Grads:
    """y = xhat * scale + bias, xhat = (x - mean) / sqrt(var + eps) over the axes from `axis` on.

    dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps), dxhat = g * scale;
    mean and variance are recomputed (the forward node rarely exports them). Scale and bias get
    their gradients too (summed over the leading axes) when they depend on the image.
    """
    if len(node.output) > 1 and any(node.output[1:]):
        raise ctx.fail("LayerNormalization's mean and inverse-std outputs are not supported")
    a = attrs_of(node)
    x, scale = node.input[0], node.input[1]
    rank = len(ctx.shape(x))
    axis = a.get("axis", -1)
    axis = axis + rank if axis < 0 else axis
    axes = list(range(axis, rank))
    count = int(np.prod(ctx.static(x, slice(axis, rank))))
    g = _first(gouts)

    def mean(t: str) -> str:
        # ReduceSum takes its axes as an input from opset 13, ReduceMean only from 18.
        total = ctx.op("ReduceSum", [t, ctx.ints(axes)], keepdims=1)
        return ctx.op("Mul", [total, ctx.const(1.0 / count)])

    centred = ctx.op("Sub", [x, mean(x)])
    eps = a.get("epsilon", 1e-5)
    inv_std = ctx.op("Reciprocal", [ctx.op("Sqrt", [ctx.op("Add", [
        mean(ctx.op("Mul", [centred, centred])), ctx.const(eps)])])])
    xhat = ctx.op("Mul", [centred, inv_std])
    out: Grads = [None] * len(node.input)
    if needs[0]:
        dxhat = ctx.op("Mul", [g, scale])
        inner = ctx.op("Sub", [ctx.op("Sub", [dxhat, mean(dxhat)]),
                               ctx.op("Mul", [xhat, mean(ctx.op("Mul", [dxhat, xhat]))])])
        out[0] = ctx.op("Mul", [inner, inv_std])
    if needs[1]:
        out[1] = unbroadcast(ctx, ctx.op("Mul", [g, xhat]), scale, node.output[0])
    if len(node.input) > 2 and needs[2]:
        out[2] = unbroadcast(ctx, g, node.input[2], node.output[0])
    return out
