"""Backward rules of matrix products: Gemm and (batched) MatMul."""

from __future__ import annotations

from advgui.core.autodiff.context import Context, attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first, unbroadcast


def gemm(ctx, node, gouts, needs) -> Grads:
    a = attrs_of(node)
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    trans_a, trans_b = a.get("transA", 0), a.get("transB", 0)
    g, (A, B) = _first(gouts), node.input[:2]
    out: Grads = [None] * len(node.input)
    if needs[0]:
        if trans_a:
            out[0] = ctx.op("Gemm", [B, g], alpha=alpha, transA=trans_b, transB=1)
        else:
            out[0] = ctx.op("Gemm", [g, B], alpha=alpha, transB=0 if trans_b else 1)
    if needs[1]:
        if trans_b:
            out[1] = ctx.op("Gemm", [g, A], alpha=alpha, transA=1, transB=trans_a)
        else:
            out[1] = ctx.op("Gemm", [A, g], alpha=alpha, transA=0 if trans_a else 1)
    if len(node.input) > 2 and needs[2]:
        scaled = ctx.op("Mul", [g, ctx.const(beta)])
        out[2] = unbroadcast(ctx, scaled, node.input[2], node.output[0])
    return out


def _swap_last(ctx: Context, x: str) -> str:
    rank = len(ctx.shape(x))
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    return ctx.op("Transpose", [x], perm=perm)


def matmul(ctx, node, gouts, needs) -> Grads:
    g, (A, B), y = _first(gouts), node.input, node.output[0]
    if len(ctx.shape(A)) < 2 or len(ctx.shape(B)) < 2:
        raise ctx.fail("MatMul with a 1-D operand is not supported")
    return [
        unbroadcast(ctx, ctx.op("MatMul", [g, _swap_last(ctx, B)]), A, y) if needs[0] else None,
        unbroadcast(ctx, ctx.op("MatMul", [_swap_last(ctx, A), g]), B, y) if needs[1] else None,
    ]
