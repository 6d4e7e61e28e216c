"""Backward rules of convolutions and pooling; window shapes come from shape inference."""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.autodiff.context import Context, attrs_of
from advgui.core.autodiff.elementwise import positive_mask, relu_read_only_by
from advgui.core.autodiff.window import pool_counts, transpose_pads, window_pads
from advgui.core.autodiff.helpers import first as _first, rule

# -- convolution and pooling ---------------------------------------------------------------------------
def _conv_geometry(ctx: Context, node: onnx.NodeProto, kernel: list[int]):
    a = attrs_of(node)
    n = len(kernel)
    strides = a.get("strides") or [1] * n
    dilations = a.get("dilations") or [1] * n
    pads = window_pads(a, ctx.static(node.input[0]), kernel, strides, dilations)
    return strides, dilations, pads


def flipped_transposed(weight: np.ndarray, group: int) -> np.ndarray:
    """[Cout, Cin/g, *k] -> [Cin, Cout/g, *k] with every kernel flipped (per group)."""
    blocks = np.split(weight, group, axis=0) if group > 1 else [weight]
    flipped = [np.flip(b.swapaxes(0, 1), axis=tuple(range(2, weight.ndim))) for b in blocks]
    return np.ascontiguousarray(np.concatenate(flipped, axis=0))


@rule("Conv")
def _conv(ctx, node, gouts, needs):
    if any(needs[1:]):
        raise ctx.fail("gradients with respect to convolution weights are not supported")
    w_shape = ctx.static(node.input[1], slice(0, None))
    kernel = w_shape[2:]
    n = len(kernel)
    group = attrs_of(node).get("group", 1)
    strides, dilations, pads = _conv_geometry(ctx, node, kernel)
    reach = [(k - 1) * d for k, d in zip(kernel, dilations)]
    weight = ctx.constant(node.input[1])
    if (all(st == 1 for st in strides) and weight is not None
            and all(p <= r for p, r in zip(pads, reach + reach))):
        # Stride 1: the input gradient is itself a convolution with the kernels flipped and
        # transposed; ONNX Runtime runs Conv far faster than ConvTranspose (benchmarks/).
        back_pads = [r - p for r, p in zip(reach + reach, pads)]
        grad = ctx.op("Conv", [_first(gouts), ctx.const(flipped_transposed(weight, group),
                                                        weight.dtype, "wT")],
                      strides=[1] * n, dilations=dilations, pads=back_pads, group=group,
                      kernel_shape=kernel)
        return [grad] + [None] * (len(node.input) - 1)
    pads, out_pad = transpose_pads(ctx.static(node.input[0]), ctx.static(node.output[0]),
                                   kernel, strides, dilations, pads)
    grad = ctx.op("ConvTranspose", [_first(gouts), node.input[1]], strides=strides,
                  dilations=dilations, pads=pads, output_padding=out_pad,
                  group=group, kernel_shape=kernel)
    return [grad] + [None] * (len(node.input) - 1)


@rule("ConvTranspose")
def _conv_transpose(ctx, node, gouts, needs):
    if any(needs[1:]):
        raise ctx.fail("gradients with respect to convolution weights are not supported")
    a = attrs_of(node)
    if a.get("output_shape") or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ctx.fail("ConvTranspose with output_shape or auto_pad is not supported")
    kernel = ctx.static(node.input[1], slice(2, None))
    n = len(kernel)
    grad = ctx.op("Conv", [_first(gouts), node.input[1]], strides=a.get("strides") or [1] * n,
                  dilations=a.get("dilations") or [1] * n, pads=a.get("pads") or [0] * (2 * n),
                  group=a.get("group", 1), kernel_shape=kernel)
    return [grad] + [None] * (len(node.input) - 1)


@rule("MaxPool")
def _maxpool(ctx, node, gouts, needs):
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


@rule("AveragePool")
def _avgpool(ctx, node, gouts, needs):
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


@rule("GlobalAveragePool")
def _global_avgpool(ctx, node, gouts, needs):
    x = node.input[0]
    area = int(np.prod(ctx.static(x)))
    scaled = ctx.op("Div", [_first(gouts), ctx.const(area)])
    return [ctx.op("Expand", [scaled, ctx.op("Shape", [x])])]


@rule("GlobalMaxPool")
def _global_maxpool(ctx, node, gouts, needs):
    x, y = node.input[0], node.output[0]
    # Ties share the gradient equally, so the result stays a valid subgradient.
    mask = ctx.op("Cast", [ctx.op("Equal", [x, y])], to=onnx.helper.np_dtype_to_tensor_dtype(ctx.dtype))
    count = ctx.op("ReduceSum", [mask, ctx.ints(list(range(2, len(ctx.shape(x)))))], keepdims=1)
    return [ctx.op("Mul", [mask, ctx.op("Div", [_first(gouts), count])])]


@rule("ReduceMean")
def _reduce_mean(ctx, node, gouts, needs):
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


@rule("Pad")
def _pad(ctx, node, gouts, needs):
    a = attrs_of(node)
    mode = a.get("mode", b"constant")
    if mode not in (b"constant", "constant"):
        raise ctx.fail("only constant-mode Pad is supported")
    pads = ctx.constant(node.input[1]) if len(node.input) > 1 else None
    if pads is None or (len(node.input) > 3 and node.input[3]):
        raise ctx.fail("Pad needs constant pads over all axes")
    pads = [int(p) for p in pads]
    rank = len(pads) // 2
    starts = pads[:rank]
    ends = [-p if p > 0 else np.iinfo(np.int64).max for p in pads[rank:]]
    if any(p < 0 for p in pads):
        raise ctx.fail("negative Pad (cropping) is not supported")
    grad = ctx.op("Slice", [_first(gouts), ctx.ints(starts), ctx.ints(ends),
                            ctx.ints(list(range(rank)))])
    return [grad] + [None] * (len(node.input) - 1)


