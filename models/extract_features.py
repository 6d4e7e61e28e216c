"""Step 1 of the distillation: features and teacher logits of augmented views (resumable).

    python models/extract_features.py [--views 8] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advgui.zoo.efficientnet_lite import PREPROCESSING as EFF_PRE, build_efficientnet_lite0  # noqa: E402
from advgui.zoo.extract import Net, extract_plain, extract_views  # noqa: E402
from advgui.zoo.inception_v3 import TF_PREPROCESSING, build_inception_v3, layers_from_fid_npz  # noqa: E402
from advgui.zoo.sources import Shared, default_shared  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"


def networks(shared: Shared) -> tuple[Net, Net]:
    backbone = build_inception_v3(
        layers_from_fid_npz(dict(np.load(shared.inception_dir / "backbone.npz"))),
        last_block_pool="max", preprocessing=TF_PREPROCESSING, head=None)
    teacher = build_efficientnet_lite0(dict(np.load(shared.efficientnet_dir / "weights.npz")))
    return (Net.from_model(backbone.SerializeToString(), TF_PREPROCESSING),
            Net.from_model(teacher.SerializeToString(), EFF_PRE))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=default_shared())
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--views", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    shared = Shared(args.shared)
    student, teacher = networks(shared)
    files, _ = shared.nips17()
    extract_plain(files, args.cache / "nips17-plain.npz", student, teacher)
    extract_plain(shared.samples(), args.cache / "samples-plain.npz", student, teacher)
    extract_views(shared.samples(), args.cache, "samples", student, teacher, args.views, args.seed)
    extract_views(shared.extra(), args.cache, "extra", student, teacher, args.views, args.seed)


if __name__ == "__main__":
    main()
