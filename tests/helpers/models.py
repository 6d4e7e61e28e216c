"""The tiny generated RGB classifier every test runs on: its preprocessing, the model (in memory
or saved with wnid-named classes) and random images already in model space."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from advgui.core.model.preprocess import Preprocessing
from tests.helpers.tiny_graphs import Body

SIZE = 16
PRE = Preprocessing(size=SIZE, mean=(120.0, 115.0, 100.0), std=(60.0, 64.0, 58.0))


def tiny_model_file(path, names: str = "c{i}", seed: int = 0):
    """The tiny classifier with ten wnid-named classes in its metadata, saved at ``path``."""
    from advgui.core.model.classes import ClassList  # noqa: PLC0415

    model = tiny_classifier_model(seed=seed)
    classes = ClassList(tuple(f"n{i:08d}" for i in range(10)),
                        tuple(names.format(i=i) for i in range(10)))
    for k, v in classes.to_metadata().items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, path)
    return path


def tiny_classifier_model(seed: int = 0, classes: int = 10) -> onnx.ModelProto:
    b = Body((3, SIZE, SIZE), np.float32, seed)
    h = b.op("Relu", [b.conv("x", 3, 6, pads=[1, 1, 1, 1], strides=[2, 2])])
    h = b.op("MaxPool", [h], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    h = b.op("GlobalAveragePool", [b.conv(h, 6, 8, pads=[1, 1, 1, 1])])
    f = b.op("Flatten", [h], axis=1)
    logits = b.op("Gemm", [f, b.weight(classes, 8, scale=2.0), b.weight(classes)], transB=1)
    graph = helper.make_graph(b.nodes, "tiny", [helper.make_tensor_value_info(
        "x", onnx.TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info(logits, onnx.TensorProto.FLOAT, ["N", classes])], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, PRE.to_metadata())
    return model


def images(n: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return PRE.to_model(rng.integers(0, 256, size=(n, SIZE, SIZE, 3)).astype(np.uint8))


def no_gradient_model(seed: int = 0) -> onnx.ModelProto:
    """The tiny classifier with a Sin on its logits: an operator outside the gradient rules, so
    it classifies but its gradient graph cannot be built."""
    model = tiny_classifier_model(seed=seed)
    out = model.graph.output[0].name
    for node in model.graph.node:
        if node.output[0] == out:
            node.output[0] = "pre_sin"
    model.graph.node.append(helper.make_node("Sin", ["pre_sin"], [out], name="odd_sin"))
    return model
