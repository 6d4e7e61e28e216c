"""advgui-cli study options for studies bigger than one run (shards, a shared classification,
a Ray cluster, a dry run with the cost model) and the merge command."""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from advgui.core.attacks import Target
from advgui.core.study.cost_model import format_plan, gpu_estimate, Rates, study_work
from advgui.core.model.images import list_image_files
from advgui.core.study.merge import merge_studies
from advgui.core.records.row_log import read_csv
from advgui.core.analysis.summary import format_summary
from advgui.core.records.config import CLEAN_COLUMNS, StudyConfig, sample_rows, validate_clean_row


def add_study_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shard", metavar="K/N",
                   help="run the K-th of N disjoint parts of the study (by a hash of each file's "
                        "path); merge the N output folders with advgui-cli merge")
    p.add_argument("--clean-from", type=Path, metavar="DIR",
                   help="take the classification from a --classify-only study of the same folder "
                        "(so N shards do not classify it N times)")
    p.add_argument("--classify-only", action="store_true",
                   help="classify the folder and write clean.csv; attack nothing")
    p.add_argument("--dry-run", action="store_true",
                   help="print the number of forward and gradient runs and the time they take "
                        "(measured here; estimated for GPUs), then stop")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run the shards as Ray tasks on the cluster at ADDRESS (a local Ray "
                        "instance when omitted), then merge them into --out")
    p.add_argument("--transfer-to", nargs="+", metavar="MODEL",
                   help="also score every 8-bit adversarial with these models (shipped names or "
                        ".onnx paths): transfer.csv and transfer_summary.csv")
    p.add_argument("--destroy", nargs="+", metavar="T",
                   help="Kurakin's destruction rate of each transformation of the saved 8-bit "
                        "adversarials: jpeg:75 jpeg:50 blur:1 brightness:+30 contrast:0.8 "
                        "(destroy.csv, destroy_summary.csv)")
    p.add_argument("--shards", type=int, help="with --ray: how many shards (default: one per "
                                              "GPU, else one per CPU slot)")


def add_merge_command(sub) -> None:
    p = sub.add_parser("merge", help="merge the shard folders of one study into one study folder")
    p.add_argument("parts", nargs="+", type=Path, metavar="SHARD_DIR")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_merge)


def read_extras_noting(out: Path):
    """transfer_summary.csv and destroy_summary.csv; a damaged one is named on stderr and left
    out, never a traceback."""
    from advgui.core.analysis.beside_table import read_extras  # noqa: PLC0415

    extras = read_extras(out)
    for note in extras.notes:
        print(f"note: {note}", file=sys.stderr)
    return extras


def print_extras(extras, tiers: tuple[str, ...] | None = None) -> None:
    """The transfer models' error and the destruction rates per tier, after the white-box
    table."""
    transfer = [r for r in extras.transfer if tiers is None or r["tier"] in tiers]
    destroy = [r for r in extras.destroy if tiers is None or r["tier"] in tiers]

    def pct(r, k):
        return "  n/a" if math.isnan(float(r[k])) else f"{100 * float(r[k]):5.1f}%"

    if transfer:
        print("\nTransfer (the same 8-bit adversarials, scored by other models; top-1 error vs "
              "truth among images each got right when clean, and how often its own top-1 "
              "changed):")
    for r in transfer:
        print(f"  {r['model']:<18} {r['method']:<9} {r['target']:<18} eps {r['eps']:>4} "
              f"{r['tier']:<6} n={r['images']:<5} top-1 error {pct(r, 'top1_error_truth')} "
              f"[{pct(r, 'top1_error_truth_lo')}, {pct(r, 'top1_error_truth_hi')}]  changed "
              f"{pct(r, 'top1_changed')}")
    if destroy:
        print("\nDestruction rate (Kurakin et al. 2016: of the images right when clean and wrong "
              "when attacked, the share a transformation makes right again):")
    for r in destroy:
        rate = "  n/a" if math.isnan(float(r["destruction_rate"])) else (
            f"{100 * float(r['destruction_rate']):5.1f}% [{100 * float(r['destruction_rate_lo']):.1f},"
            f" {100 * float(r['destruction_rate_hi']):.1f}]")
        print(f"  {r['transform']:<15} {r['method']:<9} {r['target']:<18} eps {r['eps']:>4} "
              f"{r['tier']:<6} {r['destroyed']}/{r['counted']}: {rate}")


def cmd_merge(args: argparse.Namespace) -> int:
    outcome = merge_studies(args.parts, args.out)
    print(format_summary(outcome.summary))
    print(f"\nmerged {len(args.parts)} shards: {outcome.rows} rows of {outcome.images} images in "
          f"{args.out / 'images.csv'}; summary in {args.out / 'summary.csv'}")
    return 0


def _sampled(config: StudyConfig, images: int) -> tuple[int, str]:
    """The sample size: exact when a classification exists, else the upper bound."""
    for folder in (config.clean_from, config.out):
        if folder is not None and (folder / "clean.csv").is_file():
            rows = read_csv(folder / "clean.csv", CLEAN_COLUMNS, validate_clean_row).rows
            chosen = sample_rows(rows, config.seed, config.per_tier)
            part = config.part
            if part is not None:
                chosen = [r for r in chosen if part.holds(r["file"])]
            return len(chosen), f"from {folder / 'clean.csv'}"
    bound = images if config.per_tier is None else min(images, 3 * config.per_tier)
    if config.part is not None:
        bound = -(-bound // config.part.count)
    return bound, "an upper bound: the tiers are known only after classification"


def _time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measured_rates(clf, batch: int) -> Rates:
    """Forward and gradient images/s of this model on this device, at the study's batch."""
    size = clf.size
    x = clf.preprocessing.to_model(np.random.default_rng(0).integers(
        0, 256, (batch, size, size, 3)).astype(np.uint8))
    clf.ensure_gradient()
    target, direction = np.zeros(batch, np.int64), np.ones(batch, np.float32)
    forward = batch / _time(lambda: clf.probabilities(x), 3)
    gradient = batch / _time(lambda: clf.gradient(x, target, direction), 2)
    return Rates(forward, gradient, f"this machine ({clf.device.describe()}, batch {batch})")


def dry_run(args: argparse.Namespace, config: StudyConfig) -> int:
    from advgui.cli.main import _classifier  # noqa: PLC0415
    from advgui.core.autodiff import build_gradient_model  # noqa: PLC0415
    from advgui.core.model.flops import conv_flops  # noqa: PLC0415

    images = len(list_image_files(config.folder, skip=(config.out,)))
    if config.clean_from is not None or config.part is not None:
        classify = 0 if config.clean_from else images
    else:
        classify = images
    sampled, how = _sampled(config, images)
    clf = _classifier(args)
    targets = len({str(Target.parse(t, clf.num_classes)) for t in config.targets})
    attacks = [] if config.classify_only else [
        (m, e, a.steps) for m, e, a in config.attacks()]
    work = study_work(classify, sampled, attacks, targets)
    fwd = conv_flops(clf.model, {"N": 1}) / 1e9
    grad_model, _ = build_gradient_model(clf.model, (3, clf.size, clf.size))
    grad = conv_flops(grad_model, {"N": 1}) / 1e9
    print(f"study of {config.folder}: {images:,} images, sample {sampled:,} ({how}), "
          f"{len(attacks)} attack(s) x {targets} target(s)"
          + (f", shard {config.shard}" if config.shard else ""))
    rates = measured_rates(clf, config.batch)
    print(format_plan(work, rates, [gpu_estimate(fwd, grad, g) for g in (1, 8)], fwd, grad))
    return 0


def run_on_ray(args: argparse.Namespace, config: StudyConfig) -> int:
    try:
        from advgui.cluster.ray_runner import run_study_on_ray  # noqa: PLC0415
    except ImportError as exc:
        print(f"advgui-cli: --ray needs Ray ({exc}). Install it with: pip install -e \".[cluster]\" "
              "(or pip install 'ray>=2.9')", file=sys.stderr)
        return 2
    return run_study_on_ray(args, config)
