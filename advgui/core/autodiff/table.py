"""Every operator the gradient builder differentiates, and the rule that does it.

One literal table, like onnxruntime's gradient_builder_registry: an op is supported exactly when
it is listed here (or in NON_DIFFERENTIABLE). The rule modules know nothing of this table.
"""

from __future__ import annotations

from advgui.core.autodiff.conv import conv, conv_transpose
from advgui.core.autodiff.elementwise import (add_sub, clip, div, exp, identity, leaky_relu, log,
                                              mul, relu, sigmoid, tanh, variadic_sum)
from advgui.core.autodiff.helpers import Rule
from advgui.core.autodiff.linear import gemm, matmul
from advgui.core.autodiff.normalization import batch_normalization
from advgui.core.autodiff.pool import (average_pool, global_average_pool, global_max_pool,
                                       max_pool)
from advgui.core.autodiff.reduce import reduce_mean
from advgui.core.autodiff.shape import concat, pad, reshape, split, transpose
from advgui.core.autodiff.softmax import log_softmax, softmax

RULES: dict[str, Rule] = {
    # element-wise, unary
    "Identity": identity,
    "Dropout": identity,
    "Relu": relu,
    "LeakyRelu": leaky_relu,
    "Sigmoid": sigmoid,
    "Tanh": tanh,
    "Exp": exp,
    "Log": log,
    "Clip": clip,
    # element-wise, broadcasting arithmetic
    "Add": add_sub,
    "Sub": add_sub,
    "Sum": variadic_sum,
    "Mul": mul,
    "Div": div,
    # normalization
    "BatchNormalization": batch_normalization,
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
    # shape and data movement
    "Flatten": reshape,
    "Reshape": reshape,
    "Squeeze": reshape,
    "Unsqueeze": reshape,
    "Transpose": transpose,
    "Concat": concat,
    "Split": split,
    "Pad": pad,
}

# Ops whose outputs carry no gradient even when they read the input (shapes, indices).
NON_DIFFERENTIABLE = {"Shape", "Size", "ArgMax", "ArgMin", "Constant", "ConstantOfShape",
                      "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not"}
SUPPORTED_OPS = sorted(RULES)
