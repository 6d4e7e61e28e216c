"""What every backward rule module shares: the rule signature and the helpers used by several.

A rule gets the output gradients (None where an output has none) and which inputs need one, and
returns exactly one entry per input (None where not needed); build.py checks the count.
Rule modules import this module and context.py, never each other and never the table.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import onnx

from advgui.core.autodiff.context import Context, attrs_of

Grads = list["str | None"]
Rule = Callable[[Context, onnx.NodeProto, Grads, list[bool]], Grads]


def first(gouts: Grads) -> str:
    g = gouts[0]
    assert g is not None
    return g


def axis_of(ctx: Context, node: onnx.NodeProto, default: int) -> int:
    """The node's ``axis`` attribute, made non-negative against its output's rank."""
    axis = attrs_of(node).get("axis", default)
    return axis + len(ctx.shape(node.output[0])) if axis < 0 else axis


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


# -- ReLU masks (the Relu rule applies them; Concat and MaxPool may apply them earlier) -----------
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


def relu_read_only_by(ctx: Context, x: str, node: onnx.NodeProto) -> bool:
    """x is a ReLU's output and nothing but this node reads it (all of its reads)."""
    src = ctx.producer(x)
    return src is not None and src.op_type == "Relu" and ctx.readers(x) == list(node.input).count(x)
