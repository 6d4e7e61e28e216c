"""Tiny models, one a rule family or a mix of them, whose gradients the autodiff tests check."""

from __future__ import annotations

from typing import Callable

import numpy as np
import onnx

from tests.helpers.tiny_graphs import Body

Case = Callable[[Body], str]


def c_conv_stride_pad(b: Body) -> str:
    return b.conv("x", 2, 3, k=3, strides=[2, 2], pads=[1, 0, 0, 1])


def c_conv_dilation_group(b: Body) -> str:
    h = b.conv("x", 2, 4, k=3, dilations=[2, 2], pads=[2, 2, 2, 2])
    return b.conv(h, 4, 4, k=3, group=2, pads=[1, 1, 1, 1])


def c_conv_depthwise_same(b: Body) -> str:
    return b.conv("x", 2, 2, k=3, group=2, strides=[2, 2], auto_pad="SAME_UPPER")


def c_conv_rect_kernels_asymmetric_pads(b: Body) -> str:
    """Stride 1, 1x3 / 3x1 kernels, pads of 0 and 2 on opposite sides (the Conv-as-gradient path)."""
    h = b.op("Conv", ["x", b.weight(3, 2, 1, 3)], pads=[0, 2, 0, 0])
    h = b.op("Conv", [h, b.weight(2, 3, 3, 1)], pads=[1, 0, 2, 0], dilations=[2, 1])
    return b.op("Conv", [h, b.weight(4, 1, 3, 3)], group=2, pads=[0, 1, 2, 1])


def c_conv_transpose(b: Body) -> str:
    return b.op("ConvTranspose", ["x", b.weight(2, 3, 3, 3)], strides=[2, 2], pads=[1, 1, 0, 0],
                output_padding=[1, 1])


def c_batchnorm(b: Body) -> str:
    r = b.rng
    return b.op("BatchNormalization", ["x", b.const(r.uniform(0.5, 2, 2)), b.const(r.normal(size=2)),
                                       b.const(r.normal(size=2)), b.const(r.uniform(0.5, 2, 2))],
                epsilon=1e-3)


def c_activations(b: Body) -> str:
    same = [1, 1, 1, 1]
    h = b.op("LeakyRelu", [b.conv("x", 2, 3, pads=same)], alpha=0.2)
    h = b.op("Sigmoid", [h])
    h = b.op("Tanh", [b.conv(h, 3, 3, pads=same)])
    return b.op("Relu", [b.conv(h, 3, 3, pads=same)])


def c_clip(b: Body) -> str:
    return b.op("Clip", [b.conv("x", 2, 3), b.const(-0.5), b.const(0.4)])


def c_maxpool_overlap(b: Body) -> str:
    return b.op("MaxPool", [b.conv("x", 2, 3)], kernel_shape=[3, 3], strides=[1, 1],
                pads=[1, 1, 1, 1])


def c_maxpool_ceil(b: Body) -> str:
    return b.op("MaxPool", ["x"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)


def c_avgpool_exclude_pad(b: Body) -> str:
    return b.op("AveragePool", ["x"], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1],
                count_include_pad=0)


def c_avgpool_include_pad(b: Body) -> str:
    return b.op("AveragePool", ["x"], kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1],
                count_include_pad=1)


def c_avgpool_ceil(b: Body) -> str:
    return b.op("AveragePool", ["x"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)


def c_global_pools(b: Body) -> str:
    h = b.conv("x", 2, 4)
    a = b.op("GlobalAveragePool", [h])
    m = b.op("GlobalMaxPool", [h])
    r = b.op("ReduceMean", [h], axes=[2, 3], keepdims=1)
    return b.op("Concat", [a, m, r], axis=1)


def c_concat_split(b: Body) -> str:
    h = b.conv("x", 2, 5, pads=[1, 1, 1, 1])
    p, q = b.op("Split", [h, b.const([2, 3], np.int64)], n_out=2, axis=1)
    return b.op("Concat", [b.op("Relu", [q]), p, "x"], axis=1)


def c_split_unused_output(b: Body) -> str:
    p, _q = b.op("Split", [b.conv("x", 2, 4), b.const([3, 1], np.int64)], n_out=2, axis=1)
    return p


def c_broadcast_arith(b: Body) -> str:
    h = b.conv("x", 2, 3)
    h = b.op("Add", [h, b.weight(3, 1, 1)])
    h = b.op("Mul", [h, b.weight(1, 3, 1, 1)])
    h = b.op("Sub", [b.weight(3, 1, 1), h])
    g = b.op("GlobalAveragePool", [h])
    h = b.op("Mul", [h, g])  # both operands depend on x, one broadcast over H, W
    d = b.op("Add", [b.op("Sigmoid", [g]), b.const(0.5)])
    return b.op("Div", [h, d])


def c_div_numerator_const(b: Body) -> str:
    h = b.op("Add", [b.op("Sigmoid", [b.conv("x", 2, 2)]), b.const(0.5)])
    return b.op("Div", [b.weight(2, 1, 1), h])


def c_reshape_transpose(b: Body) -> str:
    h = b.op("Transpose", [b.conv("x", 2, 3)], perm=[0, 2, 3, 1])
    h = b.op("Reshape", [h, b.const([0, -1, 3], np.int64)])
    return b.op("Transpose", [h], perm=[0, 2, 1])


def c_gemm(b: Body) -> str:
    f = b.op("Flatten", [b.op("GlobalAveragePool", [b.conv("x", 2, 4)])], axis=1)
    h = b.op("Gemm", [f, b.weight(6, 4), b.weight(6)], transB=1, alpha=0.7, beta=0.3)
    return b.op("Gemm", [b.op("Tanh", [h]), b.weight(6, 6), b.weight(1, 6)], transA=0)


def c_gemm_trans_a(b: Body) -> str:
    f = b.op("Flatten", [b.op("GlobalAveragePool", [b.conv("x", 2, 4)])], axis=1)
    t = b.op("Transpose", [f], perm=[1, 0])
    return b.op("Gemm", [t, b.weight(4, 6)], transA=1)


def c_matmul_batched(b: Body) -> str:
    h = b.op("Reshape", [b.conv("x", 2, 3), b.const([0, 3, -1], np.int64)])
    return b.op("MatMul", [h, b.weight(16, 4, scale=0.2)])


def c_softmax_middle(b: Body) -> str:
    h = b.op("Flatten", [b.conv("x", 2, 2)], axis=1)
    s = b.op("Softmax", [h], axis=1)
    ls = b.op("LogSoftmax", [h], axis=-1)
    return b.op("Add", [b.op("Mul", [s, b.const(20.0)]), ls])


def c_adaptive_temperature(b: Body) -> str:
    # The shipped InceptionV3's calibration: logits scaled by exp(-b log var(z) - c log mean f^2),
    # a temperature that depends on the image (advgui.zoo.calibration).
    f = b.op("Flatten", [b.op("GlobalAveragePool", [b.conv("x", 2, 4)])], axis=1)
    z = b.op("Gemm", [f, b.weight(6, 4), b.weight(6)], transB=1)
    centred = b.op("Sub", [z, b.op("ReduceMean", [z], axes=[1], keepdims=1)])
    var = b.op("ReduceMean", [b.op("Mul", [centred, centred])], axes=[1], keepdims=1)
    power = b.op("ReduceMean", [b.op("Mul", [f, f])], axes=[1], keepdims=1)
    log_scale = b.op("Add", [b.op("Mul", [b.op("Log", [var]), b.const(-0.7)]),
                             b.op("Mul", [b.op("Log", [power]), b.const(0.4)])])
    return b.op("Mul", [z, b.op("Exp", [log_scale])])


def c_identity_dropout_pad(b: Body) -> str:
    h = b.op("Identity", [b.conv("x", 2, 3)])
    h = b.op("Dropout", [h])
    return b.op("Pad", [h, b.const([0, 0, 1, 2, 0, 1, 0, 1], np.int64)], mode="constant")


def c_residual_branches(b: Body) -> str:
    stem = b.op("Relu", [b.conv("x", 2, 4, pads=[1, 1, 1, 1])])
    left = b.op("Relu", [b.conv(stem, 4, 4, pads=[1, 1, 1, 1])])
    right = b.op("MaxPool", [stem], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    res = b.op("Add", [stem, b.conv(left, 4, 4, k=1)])
    cat = b.op("Concat", [res, right, b.op("AveragePool", [stem], kernel_shape=[3, 3],
                                            pads=[1, 1, 1, 1])], axis=1)
    return b.op("Clip", [b.conv(cat, 12, 4, k=3, strides=[2, 2]), b.const(0.0), b.const(6.0)])


def c_relu_concat(b: Body) -> str:
    # `first` joins ReLUs read only by it (its mask is applied before the Split); `shared` is
    # also read elsewhere and `first` is no ReLU, so `second` must mask each part on its own.
    a = b.op("Relu", [b.conv("x", 2, 16, pads=[1, 1, 1, 1])])
    c = b.op("Relu", [b.conv("x", 2, 16, k=1)])
    shared = b.op("Relu", [b.conv("x", 2, 16, k=1)])
    first = b.op("Concat", [a, c, a], axis=1)
    second = b.op("Concat", [shared, first], axis=1)
    return b.op("Add", [b.conv(second, 64, 4, k=1), b.conv(shared, 16, 4, k=1)])


def c_relu_maxpool(b: Body) -> str:
    # `alone` is pooled and read by nothing else (its mask is applied to the pooled gradient,
    # before the scatter); `shared` is read by a convolution too, so it is masked after.
    # Shifted down so that whole windows are zero (their pooled gradient must be masked).
    alone = b.op("Relu", [b.op("Add", [b.conv("x", 2, 4, pads=[1, 1, 1, 1]), b.const(-2.0)])])
    shared = b.op("Relu", [b.conv("x", 2, 4, k=1)])
    pools = [b.op("MaxPool", [t], kernel_shape=[3, 3], strides=[2, 2]) for t in (alone, shared)]
    return b.op("Concat", [*pools, b.conv(shared, 4, 4, strides=[2, 2])], axis=1)


def c_layer_norm_last_axis(b: Body) -> str:
    # ViT's and Swin's LayerNorm: over the channels of each token, with scale and bias.
    h = b.op("Transpose", [b.conv("x", 2, 4, pads=[1, 1, 1, 1])], perm=[0, 2, 3, 1])
    return b.op("LayerNormalization", [h, b.weight(4), b.weight(4)], axis=-1, epsilon=1e-3)


def c_layer_norm_scale_from_image(b: Body) -> str:
    # axis 1 (C, H, W together), no bias; then scale and bias that depend on the image (a
    # batch mean: the gradient test fixes the batch of this case to 2).
    ln = b.op("LayerNormalization", [b.conv("x", 2, 3, pads=[1, 1, 1, 1]), b.weight(3, 6, 6)],
              axis=1)
    scale = b.op("ReduceMean", [b.op("Sigmoid", [b.conv("x", 2, 3, pads=[1, 1, 1, 1])])],
                 axes=[0, 1], keepdims=0)
    bias = b.op("ReduceMean", [b.conv("x", 2, 3, pads=[1, 1, 1, 1])], axes=[0, 1, 2], keepdims=0)
    return b.op("LayerNormalization", [ln, scale, bias], axis=-2, epsilon=1e-2)


def c_gelu_erf(b: Body) -> str:
    # GELU as torch's legacy exporter writes it: x * (erf(x / sqrt 2) + 1) / 2.
    h = b.conv("x", 2, 3, pads=[1, 1, 1, 1])
    e = b.op("Erf", [b.op("Div", [h, b.const(np.sqrt(2.0))])])
    return b.op("Mul", [b.op("Mul", [h, b.op("Add", [e, b.const(1.0)])]), b.const(0.5)])


def c_gelu_opset20(b: Body) -> str:
    # The Gelu op (opset 20), exact and with the tanh approximation.
    h = b.op("Gelu", [b.conv("x", 2, 3, pads=[1, 1, 1, 1])])
    return b.op("Gelu", [b.conv(h, 3, 3, pads=[1, 1, 1, 1])], approximate="tanh")


def c_mish_opset18(b: Body) -> str:
    return b.op("Mish", [b.conv("x", 2, 3, pads=[1, 1, 1, 1])])


def c_hard_activations(b: Body) -> str:
    same = [1, 1, 1, 1]
    h = b.op("HardSwish", [b.op("Mul", [b.conv("x", 2, 3, pads=same), b.const(4.0)])])
    h = b.op("Mul", [h, b.op("HardSigmoid", [b.conv(h, 3, 3, pads=same)], alpha=0.3, beta=0.4)])
    return b.op("Add", [h, b.op("HardSigmoid", [b.conv("x", 2, 3, pads=same)])])


def c_smooth_activations(b: Body) -> str:
    same = [1, 1, 1, 1]
    h = b.op("Softplus", [b.conv("x", 2, 3, pads=same)])
    h = b.op("Elu", [b.conv(h, 3, 3, pads=same)], alpha=0.7)
    return b.op("Mul", [h, b.op("Sigmoid", [b.conv("x", 2, 3, pads=same)])])


def c_unary_maths(b: Body) -> str:
    h = b.conv("x", 2, 3, pads=[1, 1, 1, 1])
    a = b.op("Abs", [h])
    s = b.op("Sqrt", [b.op("Add", [a, b.const(0.5)])])
    r = b.op("Reciprocal", [b.op("Add", [b.op("Mul", [h, h]), b.const(1.0)])])
    p = b.op("Pow", [b.op("Add", [a, b.const(0.3)]), b.const(np.float32(1.5), np.float32)])
    q = b.op("Pow", [h, b.const(2.0)])
    c = b.op("Cast", [b.op("Neg", [s])], to=onnx.helper.np_dtype_to_tensor_dtype(b.dtype))
    return b.op("Sum", [c, r, p, q, b.op("Cast", [b.op("Pow", [s, h])], to=b.elem())])


def c_where_expand(b: Body) -> str:
    h = b.conv("x", 2, 3, pads=[1, 1, 1, 1])
    g = b.op("Sigmoid", [b.op("GlobalAveragePool", [h])])
    wide = b.op("Expand", [g, b.const([1, 3, 6, 6], np.int64)])
    positive = b.op("Greater", [h, b.const(0.1)])
    return b.op("Where", [positive, h, b.op("Mul", [wide, b.weight(3, 1, 1)])])


def c_reduce_sum_max(b: Body) -> str:
    h = b.conv("x", 2, 4, pads=[1, 1, 1, 1])
    s = b.op("ReduceSum", [h, b.const([1], np.int64)], keepdims=1)
    m = b.op("ReduceMax", [h], axes=[2, 3], keepdims=0)
    n = b.op("ReduceMin", [h], axes=[-1], keepdims=1)
    flat = b.op("Flatten", [b.op("Mul", [h, s])], axis=1)
    return b.op("Concat", [flat, m, b.op("Flatten", [n], axis=1)], axis=1)


def c_reduce_max_ties(b: Body) -> str:
    # Clip makes rows tie at the bound: the gradient is split evenly among the tied entries.
    h = b.op("Clip", [b.conv("x", 2, 3, pads=[1, 1, 1, 1]), b.const(-0.2), b.const(0.3)])
    return b.op("Mul", [b.op("ReduceMax", [h], axes=[3], keepdims=1), h])


def c_gather_class_token(b: Body) -> str:
    # ViT: tokens [N, T, C], the class token at index 0 (a scalar index) and the last token by a
    # negative index along axis 1; a [2, 2] index tensor with a repeat picks along axis -1.
    t = b.op("Transpose", [b.op("Reshape", [b.conv("x", 2, 4, pads=[1, 1, 1, 1]),
                                            b.const([0, 4, 36], np.int64)])], perm=[0, 2, 1])
    cls = b.op("Gather", [t, b.const(0, np.int64)], axis=1)
    last = b.op("Gather", [t, b.const(-1, np.int64)], axis=1)
    picked = b.op("Gather", [t, b.const([[1, -2], [1, 0]], np.int64)], axis=-1)
    return b.op("Concat", [cls, last, b.op("Flatten", [picked], axis=1)], axis=1)


def c_gather_computed_indices(b: Body) -> str:
    # Indices that are no constant (they come from a Shape): a OneHot builds the scatter.
    h = b.conv("x", 2, 3, pads=[1, 1, 1, 1])
    idx = b.op("Sub", [b.op("Shape", [h], start=1, end=3), b.const([2, 4], np.int64)])
    return b.op("Gather", [h, idx], axis=1)


def c_slice_steps(b: Body) -> str:
    # Legacy Swin's window shifts and ShuffleNet's channel halves: contiguous slices (Pad),
    # strided and reversed ones with negative starts and ends (the one-hot scatter).
    h = b.conv("x", 2, 4, pads=[1, 1, 1, 1])
    half = b.op("Slice", [h, b.const([2], np.int64), b.const([4], np.int64),
                          b.const([1], np.int64)])
    tail = b.op("Slice", [h, b.const([-2, 0], np.int64), b.const([2**62, 2], np.int64),
                          b.const([-1, 1], np.int64)])
    strided = b.op("Slice", [h, b.const([5, -1], np.int64), b.const([-7, 0], np.int64),
                             b.const([2, 3], np.int64), b.const([-2, -1], np.int64)])
    every_other = b.op("Slice", [h, b.const([1], np.int64), b.const([6], np.int64),
                                 b.const([-1], np.int64), b.const([2], np.int64)])
    return b.op("Concat", [b.op("Flatten", [t], axis=1)
                           for t in (half, tail, strided, every_other)], axis=1)


def c_attention_block(b: Body) -> str:
    # One head of self-attention over 9 tokens of 4 channels: batched and broadcast MatMul,
    # Softmax over the last axis, a scalar Div, Split of q/k/v, Transpose; residual, LayerNorm
    # and an erf-GELU MLP as in ViT.
    t = b.op("Transpose", [b.op("Reshape", [b.conv("x", 2, 4, k=2, strides=[2, 2]),
                                            b.const([0, 4, 9], np.int64)])], perm=[0, 2, 1])
    n = b.op("LayerNormalization", [t, b.weight(4), b.weight(4)], axis=-1)
    qkv = b.op("Add", [b.op("MatMul", [n, b.weight(4, 12)]), b.weight(12)])
    q, k, v = b.op("Split", [qkv, b.const([4, 4, 4], np.int64)], n_out=3, axis=-1)
    q = b.op("Unsqueeze", [q, b.const([1], np.int64)])
    kt = b.op("Transpose", [b.op("Unsqueeze", [k, b.const([1], np.int64)])], perm=[0, 1, 3, 2])
    scores = b.op("Div", [b.op("MatMul", [q, kt]), b.const(2.0)])
    att = b.op("Softmax", [scores], axis=-1)
    mixed = b.op("Squeeze", [b.op("MatMul", [att, b.op("Unsqueeze", [v, b.const([1], np.int64)])]),
                             b.const([1], np.int64)])
    t = b.op("Add", [t, b.op("MatMul", [mixed, b.weight(4, 4)])])
    m = b.op("MatMul", [b.op("LayerNormalization", [t, b.weight(4)], axis=-1), b.weight(4, 8)])
    gelu = b.op("Mul", [b.op("Mul", [m, b.op("Add", [b.op("Erf", [b.op(
        "Mul", [m, b.const(1 / np.sqrt(2.0))])]), b.const(1.0)])]), b.const(0.5)])
    t = b.op("Add", [t, b.op("MatMul", [gelu, b.weight(8, 4)])])
    return b.op("Softmax", [t, ], axis=1)


CASES = {f.__name__[2:]: f for f in [
    c_conv_stride_pad, c_conv_dilation_group, c_conv_depthwise_same, c_conv_transpose,
    c_conv_rect_kernels_asymmetric_pads,
    c_batchnorm, c_activations, c_clip, c_maxpool_overlap, c_maxpool_ceil, c_avgpool_exclude_pad,
    c_avgpool_include_pad, c_avgpool_ceil, c_global_pools, c_concat_split, c_split_unused_output,
    c_broadcast_arith, c_div_numerator_const, c_reshape_transpose, c_gemm, c_gemm_trans_a,
    c_matmul_batched, c_softmax_middle, c_adaptive_temperature, c_identity_dropout_pad, c_residual_branches,
    c_relu_concat, c_relu_maxpool, c_layer_norm_last_axis, c_layer_norm_scale_from_image,
    c_gelu_erf, c_gelu_opset20, c_mish_opset18, c_hard_activations, c_smooth_activations, c_unary_maths, c_where_expand,
    c_reduce_sum_max, c_reduce_max_ties, c_gather_class_token, c_gather_computed_indices,
    c_slice_steps, c_attention_block]}
