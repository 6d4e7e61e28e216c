"""Run an ONNX classifier's forward graph with PyTorch ops, on the same weights.

Only the operators of the shipped models are covered; this exists so the benchmark can time
torch autograd on exactly the network our gradient graph differentiates (optional: torch is a
benchmark extra, never a runtime dependency).
"""

from __future__ import annotations

import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _pad_args(pads: list[int]) -> tuple[list[int] | None, tuple[int, int]]:
    """ONNX [t, l, b, r] -> symmetric padding for torch, or an explicit F.pad list."""
    t, l, b, r = pads
    if t == b and l == r:
        return None, (t, l)
    return [l, r, t, b], (0, 0)


class TorchGraph(torch.nn.Module):
    def __init__(self, model: onnx.ModelProto) -> None:
        super().__init__()
        self.nodes = list(model.graph.node)
        self.params = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
                       for t in model.graph.initializer}
        self.input = model.graph.input[0].name
        self.output = model.graph.output[0].name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        env = dict(self.params)
        env[self.input] = x
        for node in self.nodes:
            a, ins = _attrs(node), [env[i] for i in node.input if i]
            op = node.op_type
            if op == "Conv":
                explicit, pad = _pad_args(a.get("pads", [0, 0, 0, 0]))
                h = F.pad(ins[0], explicit) if explicit else ins[0]
                y = F.conv2d(h, ins[1], ins[2] if len(ins) > 2 else None, a.get("strides", [1, 1]),
                             pad, a.get("dilations", [1, 1]), a.get("group", 1))
            elif op == "Relu":
                y = F.relu(ins[0])
            elif op == "Clip":
                y = torch.clamp(ins[0], float(ins[1]), float(ins[2]))
            elif op == "MaxPool":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(ins[0], a["kernel_shape"], a.get("strides"), (p[0], p[1]),
                                 ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "AveragePool":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.avg_pool2d(ins[0], a["kernel_shape"], a.get("strides"), (p[0], p[1]),
                                 count_include_pad=bool(a.get("count_include_pad", 0)))
            elif op == "Concat":
                y = torch.cat(ins, dim=a["axis"])
            elif op == "Add":
                y = ins[0] + ins[1]
            elif op == "GlobalAveragePool":
                y = ins[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                y = torch.flatten(ins[0], a.get("axis", 1))
            elif op == "ReduceMean":  # the calibration's logit spread and feature power
                y = ins[0].mean(dim=tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))
            elif op in ("Sub", "Mul"):
                y = ins[0] - ins[1] if op == "Sub" else ins[0] * ins[1]
            elif op in ("Log", "Exp"):
                y = torch.log(ins[0]) if op == "Log" else torch.exp(ins[0])
            elif op == "Gemm":
                y = F.linear(ins[0], ins[1], ins[2]) if a.get("transB") else ins[0] @ ins[1] + ins[2]
            else:
                raise NotImplementedError(op)
            env[node.output[0]] = y
        return env[self.output]
