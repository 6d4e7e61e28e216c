"""Backbone features and teacher logits of the genuine ImageNet validation photos (cached).

    python models/calibrate_features.py

These photos are used for calibration and evaluation only, never for training or distillation;
models/build.py splits them into a fitting half and a held-out half (advgui.zoo.calibration).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advgui.zoo.extract import extract_plain  # noqa: E402
from advgui.zoo.sources import Shared, default_shared  # noqa: E402
from models.extract_features import CACHE, networks  # noqa: E402

VAL_CACHE = "imagenet-val-plain.npz"
NIPS_CACHE = "nips17-plain.npz"  # the same file models/extract_features.py writes


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=default_shared())
    ap.add_argument("--cache", type=Path, default=CACHE)
    args = ap.parse_args(argv)
    shared = Shared(args.shared)
    out = args.cache / VAL_CACHE
    if out.exists() and (args.cache / NIPS_CACHE).exists():
        return out
    student, teacher = networks(shared)
    extract_plain(shared.nips17()[0], args.cache / NIPS_CACHE, student, teacher)
    return extract_plain(shared.imagenet_val()[0], out, student, teacher)


if __name__ == "__main__":
    main()
