"""Backward rules of convolutions (input gradient only; weights are constants to an attack)."""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.autodiff.context import Context, attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first
from advgui.core.autodiff.window import transpose_pads, window_pads


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


def conv(ctx, node, gouts, needs) -> Grads:
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


def conv_transpose(ctx, node, gouts, needs) -> Grads:
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
