"""Plain numpy versions of the ops where onnx's reference evaluator is wrong.

Its MaxPool returns indices in padded coordinates (ONNX and ONNX Runtime index the unpadded
input, flat over N*C*H*W), its ConvTranspose breaks for group > 1 and its Erf (Gelu's too)
rounds to float32 whatever the input type. The float64 gradient checks need them right, so these
loops (slow, tiny inputs only) follow the ONNX spec literally.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun


class MaxPool(OpRun):
    op_domain = ""

    def _run(self, x, auto_pad=None, ceil_mode=0, dilations=None, kernel_shape=None, pads=None,
             storage_order=0, strides=None):
        n_sp = x.ndim - 2
        kernel = list(kernel_shape)
        strides = list(strides or [1] * n_sp)
        dil = list(dilations or [1] * n_sp)
        pads = list(pads or [0] * (2 * n_sp))
        rnd = np.ceil if ceil_mode else np.floor
        out_sp = []
        for i in range(n_sp):
            span = x.shape[2 + i] + pads[i] + pads[n_sp + i] - ((kernel[i] - 1) * dil[i] + 1)
            o = int(rnd(span / strides[i])) + 1
            if ceil_mode and (o - 1) * strides[i] >= x.shape[2 + i] + pads[i]:
                o -= 1
            out_sp.append(o)
        y = np.full(x.shape[:2] + tuple(out_sp), -np.inf, dtype=x.dtype)
        idx = np.zeros(y.shape, dtype=np.int64)
        flat = x.reshape(-1)
        for nc in itertools.product(range(x.shape[0]), range(x.shape[1])):
            for o in itertools.product(*[range(s) for s in out_sp]):
                for k in itertools.product(*[range(s) for s in kernel]):
                    pos = [o[i] * strides[i] - pads[i] + k[i] * dil[i] for i in range(n_sp)]
                    if all(0 <= p < x.shape[2 + i] for i, p in enumerate(pos)):
                        f = np.ravel_multi_index(tuple(nc) + tuple(pos), x.shape)
                        if flat[f] > y[nc + o]:
                            y[nc + o], idx[nc + o] = flat[f], f
        return (y, idx)


class ConvTranspose(OpRun):
    op_domain = ""

    def _run(self, x, w, b=None, auto_pad=None, dilations=None, group=1, kernel_shape=None,
             output_padding=None, output_shape=None, pads=None, strides=None):
        n_sp = x.ndim - 2
        kernel = list(w.shape[2:])
        strides = list(strides or [1] * n_sp)
        dil = list(dilations or [1] * n_sp)
        pads = list(pads or [0] * (2 * n_sp))
        out_pad = list(output_padding or [0] * n_sp)
        c_in_g, c_out_g = x.shape[1] // group, w.shape[1]
        full = [(x.shape[2 + i] - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 + out_pad[i]
                for i in range(n_sp)]
        canvas = np.zeros((x.shape[0], c_out_g * group, *full), dtype=x.dtype)
        for g in range(group):
            xs = x[:, g * c_in_g:(g + 1) * c_in_g]
            ws = w[g * c_in_g:(g + 1) * c_in_g]
            for k in itertools.product(*[range(s) for s in kernel]):
                contrib = np.einsum("nc...,co->no...", xs, ws[(slice(None), slice(None)) + k])
                region = tuple(slice(k[i] * dil[i], k[i] * dil[i] + (x.shape[2 + i] - 1) * strides[i] + 1,
                                     strides[i]) for i in range(n_sp))
                canvas[(slice(None), slice(g * c_out_g, (g + 1) * c_out_g)) + region] += contrib
        crop = tuple(slice(pads[i], full[i] - pads[n_sp + i]) for i in range(n_sp))
        y = canvas[(slice(None), slice(None)) + crop]
        if b is not None:
            y = y + b.reshape((1, -1) + (1,) * n_sp)
        return (y,)


class Erf(OpRun):
    op_domain = ""

    def _run(self, x):
        return (np.vectorize(math.erf, otypes=[x.dtype])(x),)


class Gelu(OpRun):
    """The evaluator runs Gelu's function body, whose Erf is its float32 one."""

    op_domain = ""

    def _run(self, x, approximate="none"):
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
            return (0.5 * x * (1 + np.tanh(inner)),)
        return (0.5 * x * (1 + Erf._run(self, x / math.sqrt(2))[0]),)


def evaluator(model) -> ReferenceEvaluator:
    return ReferenceEvaluator(model, new_ops=[MaxPool, ConvTranspose, Erf, Gelu])
