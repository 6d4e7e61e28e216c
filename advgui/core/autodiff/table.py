"""Every operator the gradient builder differentiates, and the rule that does it.

One literal table, like onnxruntime's gradient_builder_registry: an op is supported exactly when
it is listed here (or in NON_DIFFERENTIABLE). The rule modules know nothing of this table.
"""

from __future__ import annotations

from advgui.core.autodiff.activation import (clip, elu, erf, gelu, hard_sigmoid, hard_swish,
                                             leaky_relu, mish, relu, sigmoid, softplus, tanh)
from advgui.core.autodiff.conv import conv, conv_transpose
from advgui.core.autodiff.elementwise import (abs_, add_sub, cast, div, exp, identity, log, mul,
                                              neg, pow_, reciprocal, sqrt, variadic_sum, where)
from advgui.core.autodiff.helpers import Rule
from advgui.core.autodiff.indexing import gather, slice_
from advgui.core.autodiff.linear import gemm, matmul
from advgui.core.autodiff.normalization import batch_normalization, layer_normalization
from advgui.core.autodiff.pool import (average_pool, global_average_pool, global_max_pool,
                                       max_pool)
from advgui.core.autodiff.reduce import reduce_extreme, reduce_mean, reduce_sum
from advgui.core.autodiff.shape import concat, expand, pad, reshape, split, transpose
from advgui.core.autodiff.softmax import log_softmax, softmax

RULES: dict[str, Rule] = {
    # activations
    "Relu": relu,
    "LeakyRelu": leaky_relu,
    "Elu": elu,
    "Sigmoid": sigmoid,
    "HardSigmoid": hard_sigmoid,
    "HardSwish": hard_swish,
    "Tanh": tanh,
    "Erf": erf,
    "Gelu": gelu,
    "Softplus": softplus,
    "Mish": mish,
    "Clip": clip,
    # element-wise, unary
    "Identity": identity,
    "Dropout": identity,
    "Cast": cast,
    "Neg": neg,
    "Abs": abs_,
    "Exp": exp,
    "Log": log,
    "Sqrt": sqrt,
    "Reciprocal": reciprocal,
    # element-wise, broadcasting arithmetic
    "Add": add_sub,
    "Sub": add_sub,
    "Sum": variadic_sum,
    "Mul": mul,
    "Div": div,
    "Pow": pow_,
    "Where": where,
    # normalization
    "BatchNormalization": batch_normalization,
    "LayerNormalization": layer_normalization,
    "Softmax": softmax,
    "LogSoftmax": log_softmax,
    # linear algebra
    "Gemm": gemm,
    "MatMul": matmul,
    # convolution
    "Conv": conv,
    "ConvTranspose": conv_transpose,
    # pooling
    "MaxPool": max_pool,
    "AveragePool": average_pool,
    "GlobalAveragePool": global_average_pool,
    "GlobalMaxPool": global_max_pool,
    # reduction
    "ReduceMean": reduce_mean,
    "ReduceSum": reduce_sum,
    "ReduceMax": reduce_extreme,
    "ReduceMin": reduce_extreme,
    # shape and data movement
    "Flatten": reshape,
    "Reshape": reshape,
    "Squeeze": reshape,
    "Unsqueeze": reshape,
    "Transpose": transpose,
    "Concat": concat,
    "Split": split,
    "Pad": pad,
    "Expand": expand,
    # indexing
    "Gather": gather,
    "Slice": slice_,
}

# Ops whose outputs carry no gradient even when they read the input: shapes, indices,
# comparisons, and piecewise-constant functions (zero slope almost everywhere, as in torch).
NON_DIFFERENTIABLE = {"Shape", "Size", "ArgMax", "ArgMin", "Constant", "ConstantOfShape",
                      "Range", "NonZero", "EyeLike", "Equal", "Greater", "Less",
                      "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor", "IsNaN",
                      "IsInf", "Sign", "Floor", "Ceil", "Round"}
SUPPORTED_OPS = sorted(RULES)
