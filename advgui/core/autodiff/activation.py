"""Backward rules of activation functions: x -> f(x) element by element, slope f'(x).

Piecewise functions take torch's convention at their corners (so a gradient compared against
torch agrees exactly there too): ReLU's slope at 0 is 0, Clip's bounds are inside the range,
HardSigmoid's corners are outside it and HardSwish uses x/3 + 1/2 on [-3, 3].
"""

from __future__ import annotations

import math

from advgui.core.autodiff.context import attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first, positive_mask


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


def _slope_times(ctx, gouts, slope: str) -> Grads:
    return [ctx.op("Mul", [_first(gouts), slope])]


def _erf_slope(ctx, x: str, scale: float) -> str:
    """d/dx erf(scale * x) = scale * 2/sqrt(pi) * exp(-(scale x)^2)."""
    sq = ctx.op("Mul", [x, x])
    e = ctx.op("Exp", [ctx.op("Mul", [sq, ctx.const(-scale * scale)])])
    return ctx.op("Mul", [e, ctx.const(scale * 2.0 / math.sqrt(math.pi))])


def erf(ctx, node, gouts, needs) -> Grads:
    return _slope_times(ctx, gouts, _erf_slope(ctx, node.input[0], 1.0))


def gelu(ctx, node, gouts, needs) -> Grads:
    """Gelu (opset 20): exact x * Phi(x), or the tanh approximation (approximate='tanh')."""
    x = node.input[0]
    approximate = attrs_of(node).get("approximate", b"none")
    approximate = approximate.decode() if isinstance(approximate, bytes) else approximate
    if approximate == "tanh":
        # y = x/2 (1 + t), t = tanh(k (x + c x^3)): y' = (1 + t)/2 + x/2 (1 - t^2) k (1 + 3c x^2)
        k, c = math.sqrt(2.0 / math.pi), 0.044715
        sq = ctx.op("Mul", [x, x])
        inner = ctx.op("Mul", [ctx.op("Mul", [x, ctx.op("Add", [ctx.const(1), ctx.op(
            "Mul", [sq, ctx.const(c)])])]), ctx.const(k)])
        t = ctx.op("Tanh", [inner])
        du = ctx.op("Add", [ctx.const(k), ctx.op("Mul", [sq, ctx.const(3 * c * k)])])
        half_x = ctx.op("Mul", [x, ctx.const(0.5)])
        slope = ctx.op("Add", [
            ctx.op("Mul", [ctx.op("Add", [t, ctx.const(1)]), ctx.const(0.5)]),
            ctx.op("Mul", [half_x, ctx.op("Mul", [ctx.op("Sub", [ctx.const(1), ctx.op(
                "Mul", [t, t])]), du])])])
        return _slope_times(ctx, gouts, slope)
    if approximate != "none":
        raise ctx.fail(f"Gelu approximate='{approximate}' is not supported")
    # y = x Phi(x): y' = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2
    phi_cdf = ctx.op("Mul", [ctx.op("Add", [ctx.op("Erf", [ctx.op(
        "Mul", [x, ctx.const(1 / math.sqrt(2.0))])]), ctx.const(1)]), ctx.const(0.5)])
    pdf = ctx.op("Mul", [ctx.op("Exp", [ctx.op("Mul", [ctx.op("Mul", [x, x]), ctx.const(-0.5)])]),
                         ctx.const(1 / math.sqrt(2 * math.pi))])
    return _slope_times(ctx, gouts, ctx.op("Add", [phi_cdf, ctx.op("Mul", [x, pdf])]))


def hard_sigmoid(ctx, node, gouts, needs) -> Grads:
    """max(0, min(1, alpha x + beta)): slope alpha strictly inside (0, 1), else 0."""
    a = attrs_of(node)
    alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
    z = ctx.op("Add", [ctx.op("Mul", [node.input[0], ctx.const(alpha)]), ctx.const(beta)])
    inside = ctx.op("And", [ctx.op("Greater", [z, ctx.const(0)]),
                            ctx.op("Less", [z, ctx.const(1)])])
    g = _first(gouts)
    return [ctx.op("Where", [inside, ctx.op("Mul", [g, ctx.const(alpha)]), ctx.const(0)])]


def hard_swish(ctx, node, gouts, needs) -> Grads:
    """x * HardSigmoid(x; 1/6, 1/2): slope 0 below -3, x/3 + 1/2 up to 3, 1 above (as torch)."""
    x = node.input[0]
    middle = ctx.op("Add", [ctx.op("Mul", [x, ctx.const(1 / 3)]), ctx.const(0.5)])
    slope = ctx.op("Where", [ctx.op("Less", [x, ctx.const(-3)]), ctx.const(0),
                             ctx.op("Where", [ctx.op("LessOrEqual", [x, ctx.const(3)]),
                                              middle, ctx.const(1)])])
    return _slope_times(ctx, gouts, slope)


def softplus(ctx, node, gouts, needs) -> Grads:
    return _slope_times(ctx, gouts, ctx.op("Sigmoid", [node.input[0]]))


def mish(ctx, node, gouts, needs) -> Grads:
    """x tanh(softplus(x)): slope t + x (1 - t^2) sigmoid(x)."""
    x = node.input[0]
    t = ctx.op("Tanh", [ctx.op("Softplus", [x])])
    rest = ctx.op("Mul", [ctx.op("Mul", [x, ctx.op("Sub", [ctx.const(1), ctx.op("Mul", [t, t])])]),
                          ctx.op("Sigmoid", [x])])
    return _slope_times(ctx, gouts, ctx.op("Add", [t, rest]))


def elu(ctx, node, gouts, needs) -> Grads:
    """x above 0, alpha (e^x - 1) below: slope 1, or y + alpha below."""
    alpha = attrs_of(node).get("alpha", 1.0)
    x, y = node.input[0], node.output[0]
    slope = ctx.op("Where", [ctx.op("Greater", [x, ctx.const(0)]), ctx.const(1),
                             ctx.op("Add", [y, ctx.const(alpha)])])
    return _slope_times(ctx, gouts, slope)
