"""The ONNX ports against the original frameworks' reference outputs, and the Keras h5 path."""

from __future__ import annotations

import h5py
import numpy as np
import onnxruntime as ort
import pytest

from advgui.zoo.efficientnet_lite import build_efficientnet_lite0
from advgui.zoo.inception_v3 import (KERAS_PREPROCESSING, TF_PREPROCESSING, ConvBN,
                                     build_inception_v3, canonical_layer_names, layers_from_fid_npz)
from advgui.zoo.keras_h5 import read_keras_inception
from advgui.zoo.sources import Shared, default_shared

SHARED = Shared(default_shared())
pytestmark = pytest.mark.skipif(not SHARED.inception_dir.exists(), reason="../shared not present")


def run(model, x: np.ndarray) -> np.ndarray:
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, {"image": x})[0]


@pytest.fixture(scope="module")
def backbone_arrays() -> dict[str, np.ndarray]:
    return dict(np.load(SHARED.inception_dir / "backbone.npz"))


def test_inception_backbone_matches_reference_pool(backbone_arrays) -> None:
    ref = np.load(SHARED.inception_dir / "reference.npz")
    model = build_inception_v3(layers_from_fid_npz(backbone_arrays), last_block_pool="max",
                               preprocessing=TF_PREPROCESSING, head=None)
    err = np.abs(run(model, ref["input"]) - ref["pool"]).max()
    assert err < 2e-5, f"max abs error {err}"  # measured 3.6e-6


def test_efficientnet_matches_reference_logits() -> None:
    ref = np.load(SHARED.efficientnet_dir / "reference.npz")
    model = build_efficientnet_lite0(dict(np.load(SHARED.efficientnet_dir / "weights.npz")))
    err = np.abs(run(model, ref["input"]) - ref["logits"]).max()
    assert err < 5e-5, f"max abs error {err}"  # measured 5.4e-6
    assert {n.op_type for n in model.graph.node}.isdisjoint({"BatchNormalization"})


def _write_keras_h5(path, layers: list[ConvBN], head) -> None:
    with h5py.File(path, "w") as f:
        names = []
        for i, layer in enumerate(layers, start=1):
            conv, bn = f"conv2d_{i}", f"batch_normalization_{i}"
            g = f.create_group(conv)
            g.attrs["weight_names"] = [f"{conv}/kernel:0".encode()]
            g.create_dataset(f"{conv}/kernel:0", data=layer.weight.transpose(2, 3, 1, 0))
            g = f.create_group(bn)
            keys = ["beta", "moving_mean", "moving_variance"]
            g.attrs["weight_names"] = [f"{bn}/{k}:0".encode() for k in keys]
            for k, v in zip(keys, [layer.beta, layer.mean, layer.var]):
                g.create_dataset(f"{bn}/{k}:0", data=v)
            names += [conv.encode(), bn.encode(), f"activation_{i}".encode()]
            f.create_group(f"activation_{i}").attrs["weight_names"] = []
        g = f.create_group("predictions")
        g.attrs["weight_names"] = [b"predictions/kernel:0", b"predictions/bias:0"]
        g.create_dataset("predictions/kernel:0", data=head[0].T)
        g.create_dataset("predictions/bias:0", data=head[1])
        f.attrs["layer_names"] = names + [b"predictions"]


def test_keras_layout_builds_and_runs(tmp_path, backbone_arrays) -> None:
    rng = np.random.default_rng(0)
    shapes = [backbone_arrays[f"net.layers.{n}.weight"].shape for n in canonical_layer_names()]
    layers = [ConvBN(n, rng.normal(0, 0.05, s).astype(np.float32),
                     rng.normal(0, 0.1, s[0]).astype(np.float32),
                     rng.uniform(0.5, 1.5, s[0]).astype(np.float32),
                     rng.normal(0, 0.1, s[0]).astype(np.float32))
              for n, s in zip(canonical_layer_names(), shapes)]
    head = (rng.normal(0, 0.02, (1000, 2048)).astype(np.float32),
            rng.normal(0, 0.1, 1000).astype(np.float32))
    _write_keras_h5(tmp_path / "inception_v3_weights_tf_dim_ordering_tf_kernels.h5", layers, head)
    read_layers, read_head = read_keras_inception(
        tmp_path / "inception_v3_weights_tf_dim_ordering_tf_kernels.h5")
    kw = dict(last_block_pool="avg", preprocessing=KERAS_PREPROCESSING)
    from_h5 = build_inception_v3(read_layers, head=read_head, **kw)
    direct = build_inception_v3(layers, head=head, **kw)
    x = rng.normal(size=(2, 3, 299, 299)).astype(np.float32)
    got, want = run(from_h5, x), run(direct, x)
    assert got.shape == (2, 1000) and np.all(np.isfinite(got))
    np.testing.assert_array_equal(got, want)
    # Keras' last block averages: the graph must differ from the 2015 release's max pool.
    def avg_pools(model) -> int:
        return sum(n.op_type == "AveragePool" for n in model.graph.node)

    tf_release = build_inception_v3(layers, head=head, last_block_pool="max",
                                    preprocessing=TF_PREPROCESSING)
    assert (avg_pools(from_h5), avg_pools(tf_release)) == (9, 8)


def test_keras_converter_writes_a_classifier_advgui_loads(tmp_path, backbone_arrays) -> None:
    from advgui.core.model.classifier import Classifier
    from models.convert_keras import main as convert

    rng = np.random.default_rng(1)
    shapes = [backbone_arrays[f"net.layers.{n}.weight"].shape for n in canonical_layer_names()]
    layers = [ConvBN(n, rng.normal(0, 0.05, s).astype(np.float32), np.zeros(s[0], np.float32),
                     np.ones(s[0], np.float32), np.zeros(s[0], np.float32))
              for n, s in zip(canonical_layer_names(), shapes)]
    head = (rng.normal(0, 0.02, (1000, 2048)).astype(np.float32), np.zeros(1000, np.float32))
    h5 = tmp_path / "weights.h5"
    _write_keras_h5(h5, layers, head)
    assert convert([str(h5), "--out", str(tmp_path / "keras.onnx")]) == 0
    clf = Classifier.load(tmp_path / "keras.onnx", device="cpu")
    assert clf.preprocessing == KERAS_PREPROCESSING and clf.classes.names[885] == "velvet"
    p = clf.probabilities(np.zeros((1, 3, 299, 299), np.float32))
    assert p.shape == (1, 1000)
