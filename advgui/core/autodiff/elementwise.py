"""Backward rules of element-wise operators: unary activations and broadcasting arithmetic."""

from __future__ import annotations

from advgui.core.autodiff.context import attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first, positive_mask, unbroadcast


# -- unary ----------------------------------------------------------------------------------------
def identity(ctx, node, gouts, needs) -> Grads:
    return [_first(gouts)] + [None] * (len(node.input) - 1)


def relu(ctx, node, gouts, needs) -> Grads:
    y = node.output[0]
    if y in ctx.premasked:
        return [_first(gouts)]
    return [ctx.op("Mul", [_first(gouts), positive_mask(ctx, y)])]


def leaky_relu(ctx, node, gouts, needs) -> Grads:
    alpha = attrs_of(node).get("alpha", 0.01)
    g = _first(gouts)
    mask = ctx.op("Greater", [node.input[0], ctx.const(0)])
    return [ctx.op("Where", [mask, g, ctx.op("Mul", [g, ctx.const(alpha)])])]


def sigmoid(ctx, node, gouts, needs) -> Grads:
    y = node.output[0]
    slope = ctx.op("Mul", [y, ctx.op("Sub", [ctx.const(1), y])])
    return [ctx.op("Mul", [_first(gouts), slope])]


def tanh(ctx, node, gouts, needs) -> Grads:
    y = node.output[0]
    slope = ctx.op("Sub", [ctx.const(1), ctx.op("Mul", [y, y])])
    return [ctx.op("Mul", [_first(gouts), slope])]


def exp(ctx, node, gouts, needs) -> Grads:
    return [ctx.op("Mul", [_first(gouts), node.output[0]])]


def log(ctx, node, gouts, needs) -> Grads:
    return [ctx.op("Div", [_first(gouts), node.input[0]])]


def clip(ctx, node, gouts, needs) -> Grads:
    x, g = node.input[0], _first(gouts)
    a = attrs_of(node)
    lo = node.input[1] if len(node.input) > 1 and node.input[1] else None
    hi = node.input[2] if len(node.input) > 2 and node.input[2] else None
    if lo is None and "min" in a:
        lo = ctx.const(a["min"])
    if hi is None and "max" in a:
        hi = ctx.const(a["max"])
    mask = None
    for bound, op in ((lo, "GreaterOrEqual"), (hi, "LessOrEqual")):
        if bound is not None:
            m = ctx.op(op, [x, bound])
            mask = m if mask is None else ctx.op("And", [mask, m])
    grad = g if mask is None else ctx.op("Where", [mask, g, ctx.const(0)])
    return [grad] + [None] * (len(node.input) - 1)


# -- broadcasting arithmetic --------------------------------------------------------------------
def add_sub(ctx, node, gouts, needs) -> Grads:
    g, y = _first(gouts), node.output[0]
    a = unbroadcast(ctx, g, node.input[0], y) if needs[0] else None
    b = None
    if needs[1]:
        b = unbroadcast(ctx, g, node.input[1], y)
        if node.op_type == "Sub":
            b = ctx.op("Neg", [b])
    return [a, b]


def variadic_sum(ctx, node, gouts, needs) -> Grads:
    g, y = _first(gouts), node.output[0]
    return [unbroadcast(ctx, g, x, y) if need else None for x, need in zip(node.input, needs)]


def mul(ctx, node, gouts, needs) -> Grads:
    g, (a, b), y = _first(gouts), node.input, node.output[0]
    return [
        unbroadcast(ctx, ctx.op("Mul", [g, b]), a, y) if needs[0] else None,
        unbroadcast(ctx, ctx.op("Mul", [g, a]), b, y) if needs[1] else None,
    ]


def div(ctx, node, gouts, needs) -> Grads:
    g, (a, b), y = _first(gouts), node.input, node.output[0]
    ga = unbroadcast(ctx, ctx.op("Div", [g, b]), a, y) if needs[0] else None
    gb = None
    if needs[1]:
        gb = unbroadcast(ctx, ctx.op("Neg", [ctx.op("Div", [ctx.op("Mul", [g, y]), b])]), b, y)
    return [ga, gb]
