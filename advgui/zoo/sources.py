"""Where the shared weights and images are, and how to read their labels."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from advgui.zoo.views import list_images


def default_shared() -> Path:
    """../shared beside the checkout (as on developer machines and CI)."""
    return Path(__file__).resolve().parents[2].parent / "shared"


@dataclass(frozen=True)
class Shared:
    root: Path

    @property
    def inception_dir(self) -> Path:
        return self.root / "models" / "inception-v3-2015-12-05"

    @property
    def efficientnet_dir(self) -> Path:
        return self.root / "models" / "efficientnet-lite0"

    @property
    def classes_tsv(self) -> Path:
        return self.root / "data" / "imagenet-classes.tsv"

    def samples(self) -> list[Path]:
        return list_images(self.root / "data" / "imagenet-samples")

    def extra(self) -> list[Path]:
        return list_images(self.root / "data" / "extra-unlabeled")

    def nips17(self) -> tuple[list[Path], np.ndarray]:
        return _labelled(self.root / "data" / "nips17-dev")

    def imagenet_val(self) -> tuple[list[Path], np.ndarray]:
        """Genuine ILSVRC-2012 validation photos: calibration and evaluation only."""
        return _labelled(self.root / "data" / "imagenet-val")


def _labelled(folder: Path) -> tuple[list[Path], np.ndarray]:
    """Files and class indices of a folder whose labels.csv keys are relative to it."""
    with open(folder / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [folder / r["file"] for r in rows], np.asarray([int(r["class_index"]) for r in rows])


def read_classes(path: Path) -> list[tuple[str, str]]:
    """(wnid, name) in model order from imagenet-classes.tsv."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    if rows and rows[0][0] == "index":
        rows = rows[1:]
    return [(r[1], r[2]) for r in rows]


def sample_labels(files: list[Path], classes: list[tuple[str, str]]) -> np.ndarray:
    index = {wnid: i for i, (wnid, _) in enumerate(classes)}
    return np.asarray([index[f.name.split("_")[0]] for f in files])
