"""A merge of shards whose model has no penultimate features (no Gemm/MatMul) says so, as the
unsharded study does: it said 'no features.npz in this folder: the features were not recorded
(a study run before advgui recorded them, or a merge of parts ...)', the wrong reason."""

from __future__ import annotations

import json

import numpy as np
import onnx
from onnx import helper

from advgui.cli.main import main
from advgui.core.model.classes import ClassList
from tests.helpers.models import PRE, SIZE
from tests.helpers.study import model_and_images, study_args
from tests.helpers.tiny_graphs import Body


def _no_linear_model(path):
    """Conv, global pool and flatten straight to ten logits: no Gemm or MatMul anywhere."""
    b = Body((3, SIZE, SIZE), np.float32, 0)
    h = b.op("Relu", [b.conv("x", 3, 6, pads=[1, 1, 1, 1])])
    h = b.op("GlobalAveragePool", [b.conv(h, 6, 10, pads=[1, 1, 1, 1])])
    f = b.op("Flatten", [h], axis=1)
    graph = helper.make_graph(b.nodes, "nolinear", [helper.make_tensor_value_info(
        "x", onnx.TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info(f, onnx.TensorProto.FLOAT, ["N", 10])], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, PRE.to_metadata())
    classes = ClassList(tuple(f"n{i:08d}" for i in range(10)), tuple(f"c{i}" for i in range(10)))
    for k, v in classes.to_metadata().items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, path)
    return path


def test_a_merge_keeps_why_there_are_no_features(tmp_path) -> None:
    _, folder, _ = model_and_images(tmp_path)
    model = _no_linear_model(tmp_path / "nolinear.onnx")
    parts = []
    for k in (1, 2):
        parts.append(tmp_path / f"part{k}")
        assert main([str(a) for a in study_args(folder, parts[-1], model, "--methods", "fast",
                                                "--shard", f"{k}/2")]) == 0
    whole = tmp_path / "whole"
    assert main([str(a) for a in study_args(folder, whole, model, "--methods", "fast")]) == 0
    merged = tmp_path / "merged"
    assert main(["merge", *map(str, parts), "--out", str(merged)]) == 0
    said = json.loads((merged / "feature_projection.json").read_text())["empty"]
    assert "Gemm or MatMul" in said and "not recorded" not in said
    for name in ("features.npz", "feature_projection.json", "feature_projection.png"):
        assert (merged / name).read_bytes() == (whole / name).read_bytes(), name
