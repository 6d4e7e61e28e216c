"""Backward rules of element-wise, broadcasting, shape and matrix operators."""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.autodiff.context import Context, attrs_of
from advgui.core.autodiff.helpers import Grads, first as _first, rule

# -- element-wise -------------------------------------------------------------------------------
@rule("Identity", "Dropout")
def _identity(ctx: Context, node: onnx.NodeProto, gouts: Grads, needs: list[bool]) -> Grads:
    return [_first(gouts)] + [None] * (len(node.input) - 1)


# tanh(MASK_SCALE * y) is exactly 1.0 in float32 for every y >= 3e-38 (tanh(9) rounds to 1).
MASK_SCALE = 3e38


def positive_mask(ctx: Context, y: str) -> str:
    """1 where y > 0, else 0, for a tensor y >= 0 (a ReLU's output).

    For float32 NCHW tensors this is tanh(batchnorm(y, scale=3e38)): ONNX Runtime runs both as
    one depthwise convolution in its blocked NCHWc layout, so the mask, the Mul that applies it
    and the convolutions around them never leave that layout (InceptionV3: 1.19x faster than
    Sign + Mul, which forced two layout reorders per ReLU and whose kernel is not vectorised).
    Only an activation in (0, 3e-38), below float32's normal range, would get a fractional mask.
    """
    shape = ctx.shape(y)
    if ctx.dtype == np.float32 and len(shape) >= 2 and shape[1] is not None:
        channels = shape[1]
        zeros = ctx.const(np.zeros(channels))
        big = ctx.op("BatchNormalization", [y, ctx.const(np.full(channels, MASK_SCALE)), zeros,
                                            zeros, ctx.const(np.ones(channels))], epsilon=0.0)
        return ctx.op("Tanh", [big])
    to = onnx.helper.np_dtype_to_tensor_dtype(ctx.dtype)
    return ctx.op("Cast", [ctx.op("Greater", [y, ctx.const(0)])], to=to)


@rule("Relu")
def _relu(ctx, node, gouts, needs):
    y = node.output[0]
    if y in ctx.premasked:
        return [_first(gouts)]
    return [ctx.op("Mul", [_first(gouts), positive_mask(ctx, y)])]


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


@rule("Exp")
def _exp(ctx, node, gouts, needs):
    return [ctx.op("Mul", [_first(gouts), node.output[0]])]


@rule("Log")
def _log(ctx, node, gouts, needs):
    return [ctx.op("Div", [_first(gouts), node.input[0]])]


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


def relu_read_only_by(ctx: Context, x: str, node: onnx.NodeProto) -> bool:
    """x is a ReLU's output and nothing but this node reads it (all of its reads)."""
    src = ctx.producer(x)
    return src is not None and src.op_type == "Relu" and ctx.readers(x) == list(node.input).count(x)


def _only_relus(ctx: Context, node: onnx.NodeProto) -> bool:
    """Every input is a ReLU output that nothing but this Concat reads."""
    return all(relu_read_only_by(ctx, x, node) for x in set(node.input))


@rule("Concat")
def _concat(ctx, node, gouts, needs):
    axis = _axis(ctx, node, 0)
    sizes = [ctx.static(x, slice(axis, axis + 1))[0] for x in node.input]
    g = _first(gouts)
    if _only_relus(ctx, node):
        # The concatenation of ReLU masks is the mask of the concatenation: applying it once
        # before the Split keeps the multiply in ONNX Runtime's NCHWc layout (the Split cannot
        # be), and the ReLU rules then pass these gradients through.
        g = ctx.op("Mul", [g, positive_mask(ctx, node.output[0])])
        ctx.premasked.update(node.input)
    parts = ctx.op("Split", [g, ctx.ints(sizes)], n_out=len(sizes), axis=axis)
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
def softmax(ctx, node, gouts, needs):
    axis, g, y = _axis(ctx, node, -1), _first(gouts), node.output[0]
    dot = ctx.op("ReduceSum", [ctx.op("Mul", [g, y]), ctx.ints([axis])], keepdims=1)
    return [ctx.op("Mul", [y, ctx.op("Sub", [g, dot])])]


@rule("LogSoftmax")
def _log_softmax(ctx, node, gouts, needs):
    axis, g, y = _axis(ctx, node, -1), _first(gouts), node.output[0]
    total = ctx.op("ReduceSum", [g, ctx.ints([axis])], keepdims=1)
    return [ctx.op("Sub", [g, ctx.op("Mul", [ctx.op("Exp", [y]), total])])]


