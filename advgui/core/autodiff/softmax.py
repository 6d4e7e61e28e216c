"""Backward rules of Softmax and LogSoftmax along one axis (a Softmax ending the model is never
differentiated: build.py starts from its input)."""

from __future__ import annotations

from advgui.core.autodiff.helpers import Grads, axis_of, first as _first


def softmax(ctx, node, gouts, needs) -> Grads:
    axis, g, y = axis_of(ctx, node, -1), _first(gouts), node.output[0]
    dot = ctx.op("ReduceSum", [ctx.op("Mul", [g, y]), ctx.ints([axis])], keepdims=1)
    return [ctx.op("Mul", [y, ctx.op("Sub", [g, dot])])]


def log_softmax(ctx, node, gouts, needs) -> Grads:
    axis, g, y = axis_of(ctx, node, -1), _first(gouts), node.output[0]
    total = ctx.op("ReduceSum", [g, ctx.ints([axis])], keepdims=1)
    return [ctx.op("Sub", [g, ctx.op("Mul", [ctx.op("Exp", [y]), total])])]
