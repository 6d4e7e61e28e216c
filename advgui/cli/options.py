"""The model options every command that runs a model takes (--model, --labels, --size, --mean,
--std, --device, and the tier thresholds), read once into a ModelOptions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from advgui.core.model.options import ModelOptions
from advgui.core.records.folder import study_folder_holding
from advgui.core.tiers import TierThresholds

if TYPE_CHECKING:
    from advgui.core.model.classifier import Classifier


def _device(text: str) -> str:
    from advgui.core.model.session import check_device  # noqa: PLC0415 (loads onnxruntime)

    try:
        return check_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None, help="shipped model name or path to an .onnx classifier")
    p.add_argument("--labels", dest="class_names", type=Path,
                   help="class names file for a user model")
    p.add_argument("--size", type=int, help="input size (user model without metadata)")
    p.add_argument("--mean", type=float, nargs=3, help="per-channel mean in pixel units 0-255")
    p.add_argument("--std", type=float, nargs=3, help="per-channel std in pixel units 0-255")
    p.add_argument("--device", type=_device, default="auto",
                   help="auto, cpu, cuda or cuda:N (the N-th GPU of a multi-GPU node)")
    p.add_argument("--high", type=float, default=0.30, help="high-tier threshold (default 0.30)")
    p.add_argument("--medium", type=float, default=0.15, help="medium-tier threshold (default 0.15)")


def model_options(args: argparse.Namespace) -> ModelOptions:
    return ModelOptions(model=args.model, labels=args.class_names, size=args.size,
                        mean=tuple(args.mean) if args.mean else None,
                        std=tuple(args.std) if args.std else None, device=args.device)


def thresholds(args: argparse.Namespace) -> TierThresholds:
    return TierThresholds(args.high, args.medium)


def load_model(options: ModelOptions) -> Classifier:
    """The classifier, named on stderr (which model, on which device)."""
    clf = options.classifier()
    # Each on a line of its own, in order, where both streams go to one place (2>&1, a log).
    sys.stdout.flush()
    print(f"model: {clf.describe()}", file=sys.stderr, flush=True)
    outputs = [o.name for o in clf.model.graph.output]
    if len(outputs) > 1:  # a model whose logits are not its first output would be misread
        print(f"note: {clf.name} has {len(outputs)} outputs ({', '.join(outputs[:4])}); the "
              f"first, {outputs[0]!r}, is used as the class scores. If those are not its logits, "
              "export the model with the logits as its first output", file=sys.stderr)
    return clf


def refuse_study_folder(out: Path, folder: Path) -> None:
    """Refuses --out when folder (where out is written) is or lies inside a study folder: its
    only writer is its study, which holds its lock; a second writer there is not in its record."""
    inside = study_folder_holding(folder)
    if inside is not None:
        raise ValueError(f"--out {out}: inside the study folder {inside}; its only writer "
                         "is its study. Choose another folder")
