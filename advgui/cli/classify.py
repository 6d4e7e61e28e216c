"""advgui-cli classify: the tier and top-5 of each image (files or folders), tier counts at the
end; exit status 1 when a file was skipped."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from advgui.cli.options import add_model_arguments, load_model, model_options, thresholds
from advgui.core.model.images import load_batch
from advgui.core.records.inputs import list_image_files
from advgui.core.tiers import Tier

if TYPE_CHECKING:
    from advgui.core.model.classifier import Classifier

CLASSIFY_BATCH = 8


def add_parser(sub) -> None:
    p = sub.add_parser("classify", help="tier and top-5 of each image (files or folders)")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE_OR_FOLDER")
    add_model_arguments(p)
    p.set_defaults(func=cmd_classify)


def top5_lines(clf: Classifier, probs: np.ndarray) -> list[str]:
    """The seed's format: label, class name and certainty of the five most probable classes."""
    return [f"label: {i} ({clf.classes.names[i]}), certainty: {100 * probs[i]:.2f}%"
            for i in np.argsort(-probs)[:5]]


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders replaced by the image files under them, as the study lists them."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = list_image_files(path)
            if not found:
                raise ValueError(f"no image files in {path}")
            out += found
        else:
            out.append(path)
    return out


def cmd_classify(args: argparse.Namespace) -> int:
    clf = load_model(model_options(args))
    tiers = thresholds(args)
    counts = {tier.value: 0 for tier in Tier}
    paths, skipped = _expand(args.images), 0
    for start in range(0, len(paths), CLASSIFY_BATCH):
        loaded, pixels, failed = load_batch(paths[start:start + CLASSIFY_BATCH],
                                            clf.preprocessing.load)
        for path, reason in failed:
            print(f"{path}: skipped: {reason}")
        skipped += len(failed)
        if not loaded:
            continue
        for path, probs in zip(loaded, clf.probabilities(clf.preprocessing.to_model(np.stack(pixels)))):
            tier = tiers.tier_of(float(probs.max())).value
            counts[tier] += 1
            print(f"{path}: tier {tier}")
            print("\n".join(top5_lines(clf, probs)))
    print(f"{len(paths) - skipped:,} classified ({', '.join(f'{t} {n:,}' for t, n in counts.items())})"
          + (f", {skipped:,} skipped" if skipped else ""), flush=True)
    return 1 if skipped else 0
