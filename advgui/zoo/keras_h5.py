"""Read Keras' InceptionV3 weights file (inception_v3_weights_tf_dim_ordering_tf_kernels.h5).

Layout: a group per layer, listed in construction order by the root attribute ``layer_names``;
``conv2d_N`` holds ``kernel:0`` (HWIO, no bias), ``batch_normalization_N`` holds ``beta:0``,
``moving_mean:0`` and ``moving_variance:0`` (scale=False, epsilon 1e-3), and ``predictions`` the
2048 x 1000 dense layer. Files saved by ``model.save`` nest the same under ``model_weights``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from advgui.zoo.inception_v3 import ConvBN, canonical_layer_names


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_keras_inception(path: Path) -> tuple[list[ConvBN], tuple[np.ndarray, np.ndarray] | None]:
    import h5py  # build-time only: reading Keras files is optional

    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        convs, norms, head = [], [], None
        for name in (_text(n) for n in root.attrs["layer_names"]):
            layer = root[name]
            weights = {}
            for w in (_text(n) for n in layer.attrs.get("weight_names", [])):
                weights[w.split("/")[-1].split(":")[0]] = np.asarray(layer[w])
            if "kernel" in weights and weights["kernel"].ndim == 4:
                convs.append(weights["kernel"].transpose(3, 2, 0, 1))
            elif "moving_mean" in weights:
                norms.append(weights)
            elif "kernel" in weights and weights["kernel"].ndim == 2:
                head = (weights["kernel"].T.copy(), weights["bias"])
    if len(convs) != 94 or len(norms) != 94:
        raise ValueError(f"{path}: expected 94 convolutions and batch norms of InceptionV3, "
                         f"found {len(convs)} and {len(norms)}")
    layers = [ConvBN(name, w, bn["moving_mean"], bn["moving_variance"], bn["beta"], bn.get("gamma"))
              for name, w, bn in zip(canonical_layer_names(), convs, norms)]
    return layers, head
