"""Backward rules of reductions: the gradient spreads evenly over what was reduced."""

from __future__ import annotations

import numpy as np

from advgui.core.autodiff.context import attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first


def reduce_mean(ctx, node, gouts, needs) -> Grads:
    a, x = attrs_of(node), node.input[0]
    shape = ctx.shape(x)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        constant = ctx.constant(node.input[1])
        if constant is None:
            raise ctx.fail("ReduceMean axes must be constant")
        axes = constant.tolist()
    axes = [ax % len(shape) for ax in (axes or range(len(shape)))]
    count = int(np.prod([ctx.static(x, slice(ax, ax + 1))[0] for ax in axes]))
    g = ctx.op("Div", [_first(gouts), ctx.const(count)])
    if not a.get("keepdims", 1):
        g = ctx.op("Unsqueeze", [g, ctx.ints(sorted(axes))])
    return [ctx.op("Expand", [g, ctx.op("Shape", [x])])] + [None] * (len(node.input) - 1)
