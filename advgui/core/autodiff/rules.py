"""Backward rules: for one forward node, the gradients of its inputs from those of its outputs.

A rule gets the output gradients (None where an output has none) and which inputs need one, and
returns one entry per input (None where not needed). Shapes that must be known (kernel windows,
concat sizes) are read from shape inference at build time.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import onnx

from advgui.core.autodiff.context import Context, attrs_of
from advgui.core.autodiff.pooling import pool_counts, transpose_pads, window_pads

Grads = list["str | None"]
Rule = Callable[[Context, onnx.NodeProto, Grads, list[bool]], Grads]
RULES: dict[str, Rule] = {}


def rule(*ops: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for op in ops:
            RULES[op] = fn
        return fn
    return register


def _first(gouts: Grads) -> str:
    g = gouts[0]
    assert g is not None
    return g


# -- element-wise -------------------------------------------------------------------------------
@rule("Identity", "Dropout")
def _identity(ctx: Context, node: onnx.NodeProto, gouts: Grads, needs: list[bool]) -> Grads:
    return [_first(gouts)] + [None] * (len(node.input) - 1)


@rule("Relu")
def _relu(ctx, node, gouts, needs):
    # y = relu(x) >= 0, so sign(y) is exactly the 0/1 mask; Sign + Mul run faster in ONNX
    # Runtime than Greater + Where (11 % of InceptionV3's gradient time with Where).
    return [ctx.op("Mul", [_first(gouts), ctx.op("Sign", [node.output[0]])])]


@rule("LeakyRelu")
def _leaky_relu(ctx, node, gouts, needs):
    alpha = attrs_of(node).get("alpha", 0.01)
    g = _first(gouts)
    mask = ctx.op("Greater", [node.input[0], ctx.const(0)])
    return [ctx.op("Where", [mask, g, ctx.op("Mul", [g, ctx.const(alpha)])])]


@rule("Sigmoid")
def _sigmoid(ctx, node, gouts, needs):
    y = node.output[0]
    slope = ctx.op("Mul", [y, ctx.op("Sub", [ctx.const(1), y])])
    return [ctx.op("Mul", [_first(gouts), slope])]


@rule("Tanh")
def _tanh(ctx, node, gouts, needs):
    y = node.output[0]
    slope = ctx.op("Sub", [ctx.const(1), ctx.op("Mul", [y, y])])
    return [ctx.op("Mul", [_first(gouts), slope])]


@rule("Clip")
def _clip(ctx, node, gouts, needs):
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


@rule("BatchNormalization")
def _batchnorm(ctx, node, gouts, needs):
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


# -- broadcasting arithmetic --------------------------------------------------------------------
def unbroadcast(ctx: Context, t: str, operand: str, result: str) -> str:
    """Sum a gradient of the broadcast result back to the operand's shape."""
    ins, outs = ctx.shape(operand), ctx.shape(result)
    lead = len(outs) - len(ins)
    axes = list(range(lead)) + [
        i + lead for i, d in enumerate(ins) if d == 1 and outs[i + lead] != 1
    ]
    if axes:
        t = ctx.op("ReduceSum", [t, ctx.ints(axes)], keepdims=1)
    if lead or axes:
        t = ctx.reshape_like(t, operand)
    return t


@rule("Add", "Sub")
def _add_sub(ctx, node, gouts, needs):
    g, y = _first(gouts), node.output[0]
    a = unbroadcast(ctx, g, node.input[0], y) if needs[0] else None
    b = None
    if needs[1]:
        b = unbroadcast(ctx, g, node.input[1], y)
        if node.op_type == "Sub":
            b = ctx.op("Neg", [b])
    return [a, b]


@rule("Sum")
def _sum(ctx, node, gouts, needs):
    g, y = _first(gouts), node.output[0]
    return [unbroadcast(ctx, g, x, y) if need else None for x, need in zip(node.input, needs)]


@rule("Mul")
def _mul(ctx, node, gouts, needs):
    g, (a, b), y = _first(gouts), node.input, node.output[0]
    return [
        unbroadcast(ctx, ctx.op("Mul", [g, b]), a, y) if needs[0] else None,
        unbroadcast(ctx, ctx.op("Mul", [g, a]), b, y) if needs[1] else None,
    ]


@rule("Div")
def _div(ctx, node, gouts, needs):
    g, (a, b), y = _first(gouts), node.input, node.output[0]
    ga = unbroadcast(ctx, ctx.op("Div", [g, b]), a, y) if needs[0] else None
    gb = None
    if needs[1]:
        gb = unbroadcast(ctx, ctx.op("Neg", [ctx.op("Div", [ctx.op("Mul", [g, y]), b])]), b, y)
    return [ga, gb]


# -- shape ----------------------------------------------------------------------------------------
@rule("Flatten", "Reshape", "Squeeze", "Unsqueeze")
def _reshape(ctx, node, gouts, needs):
    return [ctx.reshape_like(_first(gouts), node.input[0])] + [None] * (len(node.input) - 1)


@rule("Transpose")
def _transpose(ctx, node, gouts, needs):
    perm = attrs_of(node).get("perm") or list(reversed(range(len(ctx.shape(node.input[0])))))
    return [ctx.op("Transpose", [_first(gouts)], perm=[int(i) for i in np.argsort(perm)])]


def _axis(ctx: Context, node: onnx.NodeProto, default: int) -> int:
    axis = attrs_of(node).get("axis", default)
    return axis + len(ctx.shape(node.output[0])) if axis < 0 else axis


@rule("Concat")
def _concat(ctx, node, gouts, needs):
    axis = _axis(ctx, node, 0)
    sizes = [ctx.static(x, slice(axis, axis + 1))[0] for x in node.input]
    parts = ctx.op("Split", [_first(gouts), ctx.ints(sizes)], n_out=len(sizes), axis=axis)
    parts = [parts] if isinstance(parts, str) else parts
    return [p if need else None for p, need in zip(parts, needs)]


@rule("Split")
def _split(ctx, node, gouts, needs):
    axis = _axis(ctx, node, 0)
    pieces = [g if g is not None else ctx.zeros_like(y) for g, y in zip(gouts, node.output)]
    return [ctx.op("Concat", pieces, axis=axis)] + [None] * (len(node.input) - 1)


# -- linear algebra ----------------------------------------------------------------------------------
@rule("Gemm")
def _gemm(ctx, node, gouts, needs):
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


@rule("MatMul")
def _matmul(ctx, node, gouts, needs):
    g, (A, B), y = _first(gouts), node.input, node.output[0]
    if len(ctx.shape(A)) < 2 or len(ctx.shape(B)) < 2:
        raise ctx.fail("MatMul with a 1-D operand is not supported")
    return [
        unbroadcast(ctx, ctx.op("MatMul", [g, _swap_last(ctx, B)]), A, y) if needs[0] else None,
        unbroadcast(ctx, ctx.op("MatMul", [_swap_last(ctx, A), g]), B, y) if needs[1] else None,
    ]


@rule("Softmax")
def _softmax(ctx, node, gouts, needs):
    axis, g, y = _axis(ctx, node, -1), _first(gouts), node.output[0]
    dot = ctx.op("ReduceSum", [ctx.op("Mul", [g, y]), ctx.ints([axis])], keepdims=1)
    return [ctx.op("Mul", [y, ctx.op("Sub", [g, dot])])]


@rule("LogSoftmax")
def _log_softmax(ctx, node, gouts, needs):
    axis, g, y = _axis(ctx, node, -1), _first(gouts), node.output[0]
    total = ctx.op("ReduceSum", [g, ctx.ints([axis])], keepdims=1)
    return [ctx.op("Sub", [g, ctx.op("Mul", [ctx.op("Exp", [y]), total])])]


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
    # The builder gives every differentiated MaxPool an Indices output (flat over N*C*H*W).
    if attrs_of(node).get("storage_order", 0) != 0:
        raise ctx.fail("MaxPool with storage_order=1 is not supported")
    x, indices = node.input[0], node.output[1]
    flat = ctx.ints([-1])
    zeros = ctx.op("Reshape", [ctx.zeros_like(x), flat])
    scattered = ctx.op("ScatterElements", [zeros, ctx.op("Reshape", [indices, flat]),
                                           ctx.op("Reshape", [_first(gouts), flat])],
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
    scaled = ctx.op("Div", [_first(gouts), ctx.const(counts[None, None])])
    reach = [k - 1 for k in kernel]
    if all(st == 1 for st in strides) and all(p <= r for p, r in zip(pads, reach + reach)):
        # Stride 1: summing each window's share back is an average pool over the padded
        # gradient times the window size (pooling kernels beat a depthwise ConvTranspose).
        back_pads = [r - p for r, p in zip(reach + reach, pads)]
        pooled = ctx.op("AveragePool", [scaled], kernel_shape=kernel, strides=[1] * n,
                        pads=back_pads, count_include_pad=1)
        return [ctx.op("Mul", [pooled, ctx.const(float(np.prod(kernel)))])]
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


# Ops whose outputs carry no gradient even when they read the input (shapes, indices).
NON_DIFFERENTIABLE = {"Shape", "Size", "ArgMax", "ArgMin", "Constant", "ConstantOfShape",
                      "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not"}
SUPPORTED_OPS = sorted(RULES)
