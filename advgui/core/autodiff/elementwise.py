"""Backward rules of element-wise arithmetic: unary maths, broadcasting arithmetic and Where.

Activation functions are in activation.py."""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.autodiff.context import attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first, unbroadcast


# -- unary ----------------------------------------------------------------------------------------
def identity(ctx, node, gouts, needs) -> Grads:
    return [_first(gouts)] + [None] * (len(node.input) - 1)


def exp(ctx, node, gouts, needs) -> Grads:
    return [ctx.op("Mul", [_first(gouts), node.output[0]])]


def log(ctx, node, gouts, needs) -> Grads:
    return [ctx.op("Div", [_first(gouts), node.input[0]])]


def neg(ctx, node, gouts, needs) -> Grads:
    return [ctx.op("Neg", [_first(gouts)])]


def abs_(ctx, node, gouts, needs) -> Grads:
    """Slope sign(x): 0 at 0, as torch."""
    return [ctx.op("Mul", [_first(gouts), ctx.op("Sign", [node.input[0]])])]


def sqrt(ctx, node, gouts, needs) -> Grads:
    return [ctx.op("Div", [_first(gouts), ctx.op("Mul", [node.output[0], ctx.const(2)])])]


def reciprocal(ctx, node, gouts, needs) -> Grads:
    y = node.output[0]
    return [ctx.op("Neg", [ctx.op("Mul", [_first(gouts), ctx.op("Mul", [y, y])])])]


_FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
           onnx.TensorProto.BFLOAT16}


def cast(ctx, node, gouts, needs) -> Grads:
    """A float-to-float Cast passes the gradient back in the graph's float type; a Cast to an
    integer or boolean type ends the gradient (its result is piecewise constant)."""
    if attrs_of(node).get("to") not in _FLOATS:
        return [None]
    return [ctx.op("Cast", [_first(gouts)], to=onnx.helper.np_dtype_to_tensor_dtype(ctx.dtype))]


def _as_float(ctx, t: str) -> str:
    """A constant operand in the graph's float type (torch exports exponents in float32)."""
    value = ctx.constant(t)
    if value is not None:
        return ctx.const(value.astype(ctx.dtype))
    return ctx.op("Cast", [t], to=onnx.helper.np_dtype_to_tensor_dtype(ctx.dtype))


def pow_(ctx, node, gouts, needs) -> Grads:
    """y = a^b: dy/da = b a^(b-1); dy/db = y log a (only when the exponent depends on the image)."""
    g, (a, b), y = _first(gouts), node.input, node.output[0]
    ga = gb = None
    if needs[0]:
        exponent = ctx.constant(b)
        if exponent is not None and exponent.size == 1 and float(exponent) == 2.0:
            slope = ctx.op("Mul", [a, ctx.const(2)])
        elif exponent is not None and exponent.size == 1 and float(exponent) == 1.0:
            slope = None
        else:
            bf = _as_float(ctx, b)
            slope = ctx.op("Mul", [bf, ctx.op("Pow", [a, ctx.op("Sub", [bf, ctx.const(1)])])])
        ga = unbroadcast(ctx, g if slope is None else ctx.op("Mul", [g, slope]), a, y)
    if needs[1]:
        gb = unbroadcast(ctx, ctx.op("Mul", [g, ctx.op("Mul", [y, ctx.op("Log", [a])])]), b, y)
    return [ga, gb]


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


def where(ctx, node, gouts, needs) -> Grads:
    """Where(c, x, y): the gradient goes to x where c holds and to y elsewhere."""
    g, (c, x, y), out = _first(gouts), node.input, node.output[0]
    zero = ctx.const(np.zeros((), ctx.dtype))
    return [
        None,
        unbroadcast(ctx, ctx.op("Where", [c, g, zero]), x, out) if needs[1] else None,
        unbroadcast(ctx, ctx.op("Where", [c, zero, g]), y, out) if needs[2] else None,
    ]


def div(ctx, node, gouts, needs) -> Grads:
    g, (a, b), y = _first(gouts), node.input, node.output[0]
    ga = unbroadcast(ctx, ctx.op("Div", [g, b]), a, y) if needs[0] else None
    gb = None
    if needs[1]:
        gb = unbroadcast(ctx, ctx.op("Neg", [ctx.op("Div", [ctx.op("Mul", [g, y]), b])]), b, y)
    return [ga, gb]
