"""advgui-cli study: the seed's tier study on a folder, with CSV reports; and, for studies bigger
than one run, its shards, a shared classification, a Ray cluster and a dry run."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from advgui.cli.extras import print_extras, read_extras_noting
from advgui.core.analysis.summary import uses_truth
from advgui.cli.options import add_model_arguments, load_model, model_options, thresholds
from advgui.cli.progress import ProgressBar
from advgui.core.analysis.fragility import format_fragility
from advgui.core.analysis.tables import format_summary
from advgui.core.attacks import METHODS, run_to_end
from advgui.core.records.config import DEFAULT_METHODS, TIER_MODES, StudyConfig, StudyProgress
from advgui.core.attacks.params import parse_eps_list
from advgui.core.records.folder import check_out_folder


def add_parser(sub) -> None:
    p = sub.add_parser("study", help="the seed's tier study on a folder, with CSV reports")
    p.add_argument("folder", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--per-tier", type=int, help="at most N images per tier (default all)")
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS,
                   help="fast, iterative (the seed's two, the default), pgd (Madry et al. 2018: "
                        "random start, alpha 2, 10 steps), momentum (MI-FGSM, Dong et al. 2018: "
                        "decay 1, 10 steps, alpha eps/10), noise (the control), square (Square "
                        "Attack, Andriushchenko et al. 2020: gradient-free, --queries per image)")
    p.add_argument("--targets", nargs="+", default=["least-likely", "inverse"])
    p.add_argument("--eps", nargs="+", default=["8"],
                   help="pixel levels 0-255: 4 8 16, or 4,8,16 (the window's convention too)")
    p.add_argument("--alpha", type=float)
    p.add_argument("--steps", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--queries", type=int,
                   help="square: model queries per image (default 1000)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--truth", "--labels-csv", dest="truth_labels", type=Path, metavar="FILE",
                   help="ground truth: labels.csv (file,class_index), Caffe val.txt or Kaggle "
                        "LOC_val_solution.csv (default: one of those in the folder or one level "
                        "up, else wnid file-name prefixes or folders)")
    _add_scale_options(p)
    p.add_argument("--tiers", choices=TIER_MODES, default="fixed",
                   help="fixed: --high/--medium thresholds (the seed's 30%%/15%%, default); "
                        "quantile: equal thirds by confidence rank")
    add_model_arguments(p)
    p.set_defaults(func=cmd_study)


def _add_scale_options(p: argparse.ArgumentParser) -> None:
    """Options for studies bigger than one run, and the extras scored on every adversarial."""
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


def study_config(args: argparse.Namespace) -> StudyConfig:
    if getattr(args, "queries", None) is not None and "square" not in args.methods:
        # It would go into the study's definition (its id) and change nothing it computes.
        raise ValueError("--queries is Square Attack's budget per image; add square to --methods "
                         "or leave --queries out")
    return StudyConfig(
        folder=args.folder, out=args.out, per_tier=args.per_tier, methods=tuple(args.methods),
        targets=tuple(args.targets), eps=tuple(parse_eps_list(" ".join(map(str, args.eps)))),
        alpha=args.alpha, steps=args.steps,
        seed=args.seed, batch=args.batch, queries=getattr(args, "queries", None),
        thresholds=thresholds(args),
        labels_csv=args.truth_labels, tiers=args.tiers, shard=args.shard,
        clean_from=args.clean_from, classify_only=args.classify_only,
        transfer_to=tuple(args.transfer_to or ()), destroy=tuple(args.destroy or ()))


class PhaseBars:
    """One progress bar per phase of a study (classify, attack, ...), drawn from its progress
    events; a new phase closes the bar of the one before."""

    def __init__(self) -> None:
        self.bar: ProgressBar | None = None
        self.phase = ""
        self.since = time.monotonic()  # when a new phase began: the start, or the last report

    def show(self, ev: StudyProgress) -> None:
        if self.bar is None or ev.phase != self.phase:
            self.close()
            # The phase's first report already holds its first batch: the bar starts where the
            # phase did (what a resumed study had, at the time the phase before ended), so its
            # rate counts this run's work and its time, the first batch's too.
            self.bar = ProgressBar(ev.total, ev.phase, done=ev.done - ev.new, started=self.since)
            self.phase = ev.phase
        tiers = " ".join(f"{k}:{v}" for k, v in ev.tier_counts.items())
        self.bar.update(ev.done - self.bar.done, note=" ".join(filter(None, (tiers, ev.message))))
        self.since = time.monotonic()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar = None


def aborted(out: Path) -> int:
    """A second Ctrl-C: one line, exit 130. Every file is written whole or not at all (atomic
    writes, rows appended whole), so what was finished is kept and a rerun resumes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a third one must not break the exit itself
    print(f"\naborted: the finished rows are kept in {out}; run the same command again to "
          "resume", file=sys.stderr)
    return 130


def cmd_study(args: argparse.Namespace) -> int:
    try:
        code = _study(args)
        if code == 130:
            # Stopped by a first Ctrl-C and finished cleanly: one pressed while the process
            # exits is ignored. At the default it ended an uncaught KeyboardInterrupt or killed
            # the interpreter's finalisation by the signal, instead of the clean exit 130.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        return code
    except KeyboardInterrupt:  # the second Ctrl-C, wherever it lands (a report's fsync too)
        return aborted(args.out)


def _study(args: argparse.Namespace) -> int:
    config = study_config(args)
    config.attacks()  # validate parameters before loading anything heavy
    options = model_options(args)
    if args.dry_run:
        from advgui.cli.dry_run import dry_run  # noqa: PLC0415 (the gradient builder: only here)

        return dry_run(options, config)
    if args.ray is not None:
        return _run_on_ray(args, options, config)
    if args.shards is not None:
        raise ValueError("--shards goes with --ray (with a scheduler of your own, use --shard K/N)")
    from advgui.core.study.engine import Study  # noqa: PLC0415

    check_out_folder(args.out)
    study = Study(load_model(options), config)
    stop = {"flag": False}

    def on_sigint(_sig, _frame):
        if stop["flag"]:
            raise KeyboardInterrupt
        stop["flag"] = True
        print("\nstopping after the current attack step; finished rows are kept (Ctrl-C again "
              "to abort)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    bars = PhaseBars()
    try:
        outcome = run_to_end(study.run(lambda: stop["flag"]), bars.show)
    finally:
        signal.signal(signal.SIGINT, previous)
    bars.close()
    for file, reason in outcome.skipped:
        print(f"skipped {file}: {reason}", file=sys.stderr)
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    print(format_summary(outcome.summary))
    print_extras(read_extras_noting(args.out), truth=uses_truth(outcome.summary))
    if outcome.fragility:
        print(format_fragility(outcome.fragility))
    state = "cancelled (run again to resume)" if outcome.cancelled else "finished"
    print(f"\n{state}: {outcome.new_rows} new rows this run, {outcome.rows} in all in "
          f"{args.out / 'images.csv'}, {outcome.seconds:.0f} s; summary in "
          f"{args.out / 'summary.csv'}")
    return 130 if outcome.cancelled else 0


def _run_on_ray(args: argparse.Namespace, options, config: StudyConfig) -> int:
    try:
        from advgui.cluster.ray_runner import run_study_on_ray  # noqa: PLC0415
    except ImportError as exc:
        print(f"advgui-cli: --ray needs Ray ({exc}). Install it with: pip install -e \".[cluster]\" "
              "(or pip install 'ray>=2.9')", file=sys.stderr)
        return 2
    bars = PhaseBars()
    try:
        return run_study_on_ray(options, config, address=args.ray or None, shards=args.shards,
                                on_progress=bars.show)
    finally:
        bars.close()
