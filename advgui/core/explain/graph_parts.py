"""Which tensors of an arbitrary ONNX classifier to explain, found from the graph's structure.

A *cut* is a tensor that every path from the image to the logits goes through: the whole
representation at that depth (InceptionV3's ``mixed_3``, a ViT's residual stream), never one
branch of a block. The blocks of the divergence strip are the cuts made by a block-ending node
(Concat, Add, Sum, a pooling), plus the last cut before each drop in spatial size and the
penultimate features; the Grad-CAM layer is the last 4-D cut with a spatial size above 1 (the
model's last spatial feature map, before global pooling). All keep the model's own names.
"""

from __future__ import annotations

from dataclasses import dataclass

import onnx

from advgui.core.autodiff.intermediate import tensor_shapes
from advgui.core.autodiff.table import NON_DIFFERENTIABLE

BLOCK_ENDS = {"Concat", "Add", "Sum", "MaxPool", "AveragePool", "GlobalAveragePool",
              "GlobalMaxPool"}
MAX_BLOCKS = 24  # a strip wider than this is unreadable: evenly thinned, the last kept


@dataclass(frozen=True)
class Block:
    """A tensor of the divergence strip: its name in the graph, the op that makes it, its dims."""

    name: str
    op_type: str
    shape: tuple[int | None, ...]


@dataclass(frozen=True)
class GraphParts:
    image: str
    logits: str
    blocks: tuple[Block, ...]
    spatial_map: Block | None  # None: no 4-D map with spatial size > 1 (Grad-CAM unavailable)
    features: Block | None  # the penultimate features (input of the last Gemm/MatMul), if a cut


def _logits(model: onnx.ModelProto) -> str:
    out = model.graph.output[0].name
    for node in model.graph.node:
        if out in node.output and node.op_type == "Softmax":
            return node.input[0]
    return out


def _cuts(model: onnx.ModelProto, image: str, logits: str) -> list[tuple[str, onnx.NodeProto]]:
    """The cuts in graph order, with the node making each (nodes are topologically sorted)."""
    active = {image}
    for node in model.graph.node:
        if node.op_type not in NON_DIFFERENTIABLE and any(i in active for i in node.input):
            active.update(o for o in node.output if o)
    reads: dict[str, int] = {}
    for node in model.graph.node:
        for i in node.input:
            if i in active:
                reads[i] = reads.get(i, 0) + 1
    live = {image}
    cuts = []
    for node in model.graph.node:
        for i in node.input:
            if i in reads:
                reads[i] -= 1
                if reads[i] == 0:
                    live.discard(i)
        made = [o for o in node.output if o in active and (reads.get(o, 0) > 0 or o == logits)]
        live.update(made)
        if len(made) == 1 and live == {made[0]}:
            cuts.append((made[0], node))
        if logits in made:
            break
    return cuts


def _flattens(model: onnx.ModelProto, name: str, source: str) -> bool:
    node = next((n for n in model.graph.node if name in n.output), None)
    return node is not None and node.op_type in ("Flatten", "Reshape", "Squeeze") and \
        node.input[0] == source


def find_parts(model: onnx.ModelProto, input_size: tuple[int, ...] | None = None) -> GraphParts:
    """The blocks, the Grad-CAM layer and the penultimate features of a classifier."""
    inits = {t.name for t in model.graph.initializer}
    image = next(i.name for i in model.graph.input if i.name not in inits)
    logits = _logits(model)
    shapes = tensor_shapes(model, input_size)
    cuts = [(name, node, tuple(shapes[name])) for name, node in _cuts(model, image, logits)
            if name in shapes and name != logits]

    def spatial(shape: tuple) -> int | None:
        if len(shape) != 4 or shape[2] is None or shape[3] is None:
            return None
        return shape[2] * shape[3]

    chosen: dict[str, Block] = {}
    for k, (name, node, shape) in enumerate(cuts):
        later = next((spatial(s) for _, _, s in cuts[k + 1:] if spatial(s) is not None), None)
        shrinks = spatial(shape) is not None and later is not None and later < spatial(shape)
        if node.op_type in BLOCK_ENDS or shrinks:
            chosen[name] = Block(name, node.op_type, shape)
    features = None
    for name, node, shape in reversed(cuts):
        readers = [n for n in model.graph.node if name in n.input]
        if len(shape) == 2 and any(n.op_type in ("Gemm", "MatMul") for n in readers):
            features = Block(name, node.op_type, shape)
            break
    blocks = list(chosen.values())
    if features is not None and features.name not in chosen:
        # Features that only flatten the last block (a global pool's [N, C, 1, 1]) replace it:
        # the same numbers twice would read as a plateau.
        if blocks and _flattens(model, features.name, blocks[-1].name):
            blocks.pop()
        blocks.append(features)
    if len(blocks) > MAX_BLOCKS:
        step = len(blocks) / MAX_BLOCKS
        keep = sorted({round(i * step) for i in range(MAX_BLOCKS - 1)} | {len(blocks) - 1})
        blocks = [blocks[i] for i in keep]
    maps = [Block(name, node.op_type, shape) for name, node, shape in cuts
            if (spatial(shape) or 0) > 1]
    return GraphParts(image, logits, tuple(blocks), maps[-1] if maps else None, features)
