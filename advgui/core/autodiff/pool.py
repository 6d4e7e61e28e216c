"""Backward rules of pooling; window shapes come from shape inference."""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.autodiff.context import attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first, positive_mask, relu_read_only_by
from advgui.core.autodiff.window import pool_counts, transpose_pads, window_pads


def max_pool(ctx, node, gouts, needs) -> Grads:
    a = attrs_of(node)
    if a.get("storage_order", 0) != 0:
        raise ctx.fail("MaxPool with storage_order=1 is not supported")
    x = node.input[0]
    if len(node.output) > 1 and node.output[1]:
        indices = node.output[1]
    else:
        # A second MaxPool for the indices (flat over N*C*H*W) instead of an Indices output on
        # the forward one: ONNX Runtime's pool with indices cannot use its blocked NCHWc layout,
        # and would pull the forward pass and the Concat after it out of that layout.
        indices = ctx.op("MaxPool", [x], n_out=2, **a)[1]
    g = _first(gouts)
    if relu_read_only_by(ctx, x, node):
        # Pooling ReLU outputs: each window's gradient goes to its maximum, which is positive
        # exactly when the window's output is, so the ReLU's mask is applied on the pooled
        # gradient (a quarter the size, and in ONNX Runtime's NCHWc layout like the mask)
        # instead of after the scatter, where it forced a layout reorder of the full tensor.
        g = ctx.op("Mul", [g, positive_mask(ctx, node.output[0])])
        ctx.premasked.add(x)
    flat = ctx.ints([-1])
    zeros = ctx.op("Reshape", [ctx.zeros_like(x), flat])
    scattered = ctx.op("ScatterElements", [zeros, ctx.op("Reshape", [indices, flat]),
                                           ctx.op("Reshape", [g, flat])],
                       axis=0, reduction="add")
    return [ctx.reshape_like(scattered, x)]


def average_pool(ctx, node, gouts, needs) -> Grads:
    a = attrs_of(node)
    kernel = list(a["kernel_shape"])
    if any(d != 1 for d in a.get("dilations") or []):
        raise ctx.fail("dilated AveragePool is not supported")
    n = len(kernel)
    strides = list(a.get("strides") or [1] * n)
    in_size, out_size = ctx.static(node.input[0]), ctx.static(node.output[0])
    pads = window_pads(a, in_size, kernel, strides, [1] * n)
    counts = pool_counts(in_size, out_size, kernel, strides, pads,
                         bool(a.get("count_include_pad", 0)))
    channels = ctx.static(node.input[0], slice(1, 2))[0]
    reach = [k - 1 for k in kernel]
    if all(st == 1 for st in strides) and all(p <= r for p, r in zip(pads, reach + reach)):
        # Stride 1: summing each window's share back is an average pool over the padded
        # gradient times the window size (pooling kernels beat a depthwise ConvTranspose).
        # The window size goes into the divisor, so the pool's output needs no Mul and stays
        # in ONNX Runtime's NCHWc layout for the Sum that follows.
        scaled = ctx.op("Div", [_first(gouts), ctx.const(counts[None, None] / np.prod(kernel))])
        back_pads = [r - p for r, p in zip(reach + reach, pads)]
        return [ctx.op("AveragePool", [scaled], kernel_shape=kernel, strides=[1] * n,
                       pads=back_pads, count_include_pad=1)]
    scaled = ctx.op("Div", [_first(gouts), ctx.const(counts[None, None])])
    ones = ctx.const(np.ones([channels, 1] + kernel))
    t_pads, out_pad = transpose_pads(in_size, out_size, kernel, strides, [1] * n, pads)
    return [ctx.op("ConvTranspose", [scaled, ones], strides=strides, pads=t_pads,
                   output_padding=out_pad, group=channels, kernel_shape=kernel)]


def global_average_pool(ctx, node, gouts, needs) -> Grads:
    x = node.input[0]
    area = int(np.prod(ctx.static(x)))
    scaled = ctx.op("Div", [_first(gouts), ctx.const(area)])
    return [ctx.op("Expand", [scaled, ctx.op("Shape", [x])])]


def global_max_pool(ctx, node, gouts, needs) -> Grads:
    x, y = node.input[0], node.output[0]
    # Ties share the gradient equally, so the result stays a valid subgradient.
    mask = ctx.op("Cast", [ctx.op("Equal", [x, y])], to=onnx.helper.np_dtype_to_tensor_dtype(ctx.dtype))
    count = ctx.op("ReduceSum", [mask, ctx.ints(list(range(2, len(ctx.shape(x)))))], keepdims=1)
    return [ctx.op("Mul", [mask, ctx.op("Div", [_first(gouts), count])])]
