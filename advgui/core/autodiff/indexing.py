"""Backward rules of operators that pick elements along an axis: Gather and Slice.

Their gradient is a scatter-add of the output gradient back into the input's shape. Along one
axis that is a product with a 0/1 matrix M[d, k] (1 where output position k read input position
d): exact (each input entry sums the same gradient entries as a scatter-add, plus exact zeros),
valid at every opset, and small for what classifiers pick (ViT's class token: M is 197 x 1).
Contiguous step-1 slices are a zero Pad instead.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnx.numpy_helper

from advgui.core.autodiff.context import Context, attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first


def _fixed(ctx: Context, dims: list[int | None]) -> str:
    """A Reshape target for dims of which at most one is unknown (it becomes -1)."""
    if sum(d is None for d in dims) > 1:
        raise ctx.fail(f"needs at most one symbolic dim, got {dims}")
    return ctx.ints([-1 if d is None else d for d in dims])


def _scatter_axis(ctx: Context, g: str, g_dims: list[int | None], axis: int, rank: int,
                  picks: str, out_dims: list[int | None]) -> str:
    """Scatter-add g into out_dims along `axis`.

    g's dims axis .. axis+rank-1 hold the k picked positions (a Gather's index tensor has any
    rank, a scalar index none); `picks` [d, k] maps them to the d positions of out_dims[axis].
    """
    inner = g_dims[axis + rank:]
    if any(d is None for d in inner):
        raise ctx.fail(f"needs static dims after the picked axis, got {g_dims}")
    k = int(np.prod(g_dims[axis:axis + rank], dtype=np.int64))
    q = int(np.prod(inner, dtype=np.int64))
    g3 = ctx.op("Reshape", [g, ctx.ints([-1, k, q])])
    return ctx.op("Reshape", [ctx.op("MatMul", [picks, g3]), _fixed(ctx, out_dims)])


def _one_hot(ctx: Context, indices: str, depth: str, axis: int) -> str:
    """OneHot in the graph's float type; it counts negative indices from the end, as Gather."""
    return ctx.op("OneHot", [indices, depth, ctx.const([0, 1])], axis=axis)


def gather(ctx, node, gouts, needs) -> Grads:
    """Three forms, the first two needing no static shapes (exporters often leave them unknown):
    a scalar index along any axis (ViT's class token: the gradient is a one-hot mask times g,
    broadcast), any indices along axis 0 (one-hot product), any indices along another axis with
    static dims after it (one-hot product after a reshape)."""
    data, indices = node.input
    g = _first(gouts)
    axis = attrs_of(node).get("axis", 0)
    depth = ctx.op("Gather", [ctx.op("Shape", [data]), ctx.const(axis, np.int64)])  # a scalar
    known = ctx.constant(indices)
    index_rank = known.ndim if known is not None else (
        len(ctx.shapes[indices]) if indices in ctx.shapes else None)
    if index_rank == 0:
        # g lacks the axis: put it back (size 1) and broadcast against a one-hot [d, 1, .., 1]
        # with one 1 per dim after the axis.
        g = ctx.op("Unsqueeze", [g, ctx.ints([axis])])
        if axis < 0:
            after = ctx.ints([-axis - 1])
        else:
            rank = ctx.op("Shape", [ctx.op("Shape", [g])])
            after = ctx.op("Sub", [rank, ctx.ints([axis + 1])])
        ones = ctx.op("ConstantOfShape", [after],
                      value=onnx.numpy_helper.from_array(np.ones(1, np.int64)))
        single = ctx.op("Reshape", [indices, ctx.ints([1])])  # OneHot wants rank >= 1
        mask = ctx.op("Reshape", [_one_hot(ctx, single, depth, 0),
                                  ctx.op("Concat", [ctx.ints([-1]), ones], axis=0)])
        return [ctx.op("Mul", [g, mask]), None]
    if axis == 0:
        # g is I + rest: rows of the picked positions, against the one-hot [k, d].
        hot = ctx.op("Reshape", [_one_hot(ctx, indices, depth, -1), ctx.op(
            "Concat", [ctx.ints([-1]), ctx.op("Reshape", [depth, ctx.ints([1])])], axis=0)])
        count = ctx.op("Reshape", [ctx.op("Size", [indices]), ctx.ints([1])])
        rows = ctx.op("Reshape", [g, ctx.op("Concat", [count, ctx.ints([-1])], axis=0)])
        spread = ctx.op("MatMul", [ctx.op("Transpose", [hot], perm=[1, 0]), rows])
        return [ctx.reshape_like(spread, data), None]
    dims = ctx.shape(data)
    axis = axis + len(dims) if axis < 0 else axis
    size = ctx.static(data, slice(axis, axis + 1))[0]
    if index_rank is None or any(d is None for d in ctx.shape(indices)):
        raise ctx.fail("Gather off axis 0 needs indices of a static shape")
    if known is not None:
        flat = known.reshape(-1).astype(np.int64)
        flat = np.where(flat < 0, flat + size, flat)
        picks_array = np.zeros((size, flat.size), ctx.dtype)
        picks_array[flat, np.arange(flat.size)] = 1
        picks = ctx.const(picks_array, hint="picks")
    else:
        picks = ctx.op("Reshape", [_one_hot(ctx, indices, depth, 0), ctx.ints([size, -1])])
    grad = _scatter_axis(ctx, g, ctx.shape(node.output[0]), axis, index_rank, picks, dims)
    return [grad, None]


def _picked(start: int, end: int, step: int, dim: int) -> list[int]:
    """The positions an ONNX Slice reads along one axis (the spec's clamping, not Python's)."""
    if step == 0:
        raise ValueError("Slice step 0")
    start = start + dim if start < 0 else start
    end = end + dim if end < 0 else end
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
    else:
        start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    return list(range(start, end, step))


def slice_(ctx, node, gouts, needs) -> Grads:
    data = node.input[0]
    dims = ctx.shape(data)
    values = []
    for i, default in ((1, None), (2, None), (3, "axes"), (4, "steps")):
        name = node.input[i] if len(node.input) > i and node.input[i] else None
        if name is None and default is None:
            raise ctx.fail("Slice needs starts and ends")
        value = ctx.constant(name) if name is not None else None
        if name is not None and value is None:
            raise ctx.fail("Slice needs constant starts, ends, axes and steps")
        values.append(None if value is None else [int(v) for v in value.reshape(-1)])
    starts, ends, axes, steps = values
    axes = axes if axes is not None else list(range(len(starts)))
    axes = [a + len(dims) if a < 0 else a for a in axes]
    steps = steps if steps is not None else [1] * len(starts)
    g, g_dims = _first(gouts), list(ctx.shape(node.output[0]))
    pads = [0] * (2 * len(dims))
    for axis, start, end, step in zip(axes, starts, ends, steps):
        dim = ctx.static(data, slice(axis, axis + 1))[0]
        positions = _picked(start, end, step, dim)
        if step == 1 and positions:
            pads[axis], pads[len(dims) + axis] = positions[0], dim - positions[-1] - 1
            continue
        if not positions:
            return [ctx.zeros_like(data)] + [None] * (len(node.input) - 1)
        picks_array = np.zeros((dim, len(positions)), ctx.dtype)
        picks_array[positions, np.arange(len(positions))] = 1
        out_dims = g_dims[:axis] + [dim] + g_dims[axis + 1:]
        g = _scatter_axis(ctx, g, g_dims, axis, 1, ctx.const(picks_array, hint="picks"), out_dims)
        g_dims = out_dims
    if any(pads):
        g = ctx.op("Pad", [g, ctx.ints(pads)], mode="constant")
    return [g] + [None] * (len(node.input) - 1)
