"""Backward rule of inference-mode batch normalization: a fixed per-channel scale."""

from __future__ import annotations

import numpy as np

from advgui.core.autodiff.context import attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first


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
