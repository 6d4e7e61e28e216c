"""advgui-cli: classify, attack and run the seed's tier study from the command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import advgui.cli.cluster as cli_cluster
from advgui.core.analysis.beside_table import (TIER_ORDER, beside_heading, beside_rows,
                                      format_beside_markdown)
from advgui.core.attacks import Target
from advgui.core.model.classifier import Classifier, ModelError
from advgui.core.model.images import ImageError, list_image_files, load_batch, load_rgb
from advgui.core.attacks.params import eps_units
from advgui.core.model.preprocess import Preprocessing
from advgui.cli.progress import ProgressBar
from advgui.core.model.registry import load_classifier, shipped_models
from advgui.core.records.row_log import read_csv
from advgui.core.records.safe_write import atomic_write_file
from advgui.core.analysis.summary import (IMAGE_COLUMNS, format_markdown, format_summary, image_key,
                                 norms, summary_rows, uses_truth, validate_image_row)
from advgui.core.model.session import check_device
from advgui.core.analysis.fragility import format_fragility
from advgui.core.attacks import METHODS, Attack, attack_from_settings, run_to_end
from advgui.core.study.engine import TIER_MODES, Study, StudyConfig, StudyProgress
from advgui.core.records.config import DEFAULT_METHODS
from advgui.core.records.folder import check_out_folder
from advgui.core.study.reports import read_manifest
from advgui.core.tiers import Tier, TierThresholds


def _model_args(p: argparse.ArgumentParser) -> None:
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


def _classifier(args: argparse.Namespace) -> Classifier:
    pre = None
    if args.size is not None or args.mean or args.std:
        if not (args.size and args.mean and args.std):
            raise ModelError("--size, --mean and --std go together")
        try:
            pre = Preprocessing(size=args.size, mean=tuple(args.mean), std=tuple(args.std))
        except ValueError as exc:
            raise ModelError(f"--size/--mean/--std: {exc}") from None
    try:
        clf = load_classifier(args.model, labels=args.class_names, preprocessing=pre,
                              device=args.device)
    except RuntimeError as exc:  # --device cuda where CUDA cannot start
        raise ModelError(str(exc).splitlines()[0]) from None
    print(f"model: {clf.describe()}", file=sys.stderr)
    return clf


def _top5_lines(clf: Classifier, probs: np.ndarray) -> list[str]:
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


CLASSIFY_BATCH = 8


def cmd_classify(args: argparse.Namespace) -> int:
    clf = _classifier(args)
    thresholds = TierThresholds(args.high, args.medium)
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
            tier = thresholds.tier_of(float(probs.max())).value
            counts[tier] += 1
            print(f"{path}: tier {tier}")
            print("\n".join(_top5_lines(clf, probs)))
    print(f"{len(paths) - skipped} classified ({', '.join(f'{t} {n}' for t, n in counts.items())})"
          + (f", {skipped} skipped" if skipped else ""))
    return 1 if skipped else 0


def _make_attack(args: argparse.Namespace) -> Attack:
    return attack_from_settings(args.method, eps=args.eps, alpha=args.alpha, steps=args.steps,
                                seed=getattr(args, "seed", 0))


def cmd_attack(args: argparse.Namespace) -> int:
    attack = _make_attack(args)
    if args.out.suffix.lower() != ".png":  # before the model loads: a typo should fail at once
        raise ValueError("adversarial images are saved losslessly: --out must end in .png")
    try:
        image_in = load_rgb(args.image)
    except ImageError as exc:
        raise ImageError(f"{args.image}: {exc}") from None
    clf = _classifier(args)
    clf.ensure_gradient()  # an unsupported operator is reported now, naming the node
    target = Target.parse(args.target, clf.num_classes)
    pixels = clf.preprocessing.load(image_in)
    x = clf.preprocessing.to_model(pixels[None])
    truth = None
    if target.kind.value == "true":
        if args.truth is None:
            raise ValueError("--target true needs --truth CLASS_INDEX")
        if not 0 <= args.truth < clf.num_classes:
            raise ValueError(f"--truth {args.truth} is outside 0-{clf.num_classes - 1} "
                             f"(the model has {clf.num_classes} classes)")
        truth = np.asarray([args.truth])
    bar = ProgressBar(attack.steps, f"{attack.name}")
    result = run_to_end(attack.run(clf, x, target, truth),
                        lambda rec: bar.update(note=f"loss {float(rec.loss[0]):.3f}"))
    bar.close()
    if result.problems[0]:
        print(f"attack failed: {result.problems[0]}", file=sys.stderr)
        return 2
    image = Image.fromarray(result.pixels[0])
    atomic_write_file(Path(args.out), lambda fh: image.save(fh, format="PNG"))
    print(f"target: {clf.classes.label(int(result.target[0]))} "
          f"({'towards' if result.direction[0] < 0 else 'away from'})")
    print(f"eps: {eps_units(attack.eps, clf.preprocessing.std)}")
    print("clean:")
    print("\n".join(_top5_lines(clf, result.clean_probabilities[0])))
    print("adversarial (8-bit PNG, re-scored):")
    print("\n".join(_top5_lines(clf, result.pixel_probabilities[0])))
    linf, l2, psnr = norms(pixels, result.pixels[0])
    print(f"perturbation: Linf {linf} levels, L2 {l2:.1f} levels, PSNR {psnr:.2f} dB")
    print(f"saved {args.out}")
    return 0


def _device(text: str) -> str:
    try:
        return check_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def study_config(args: argparse.Namespace) -> StudyConfig:
    return StudyConfig(
        folder=args.folder, out=args.out, per_tier=args.per_tier, methods=tuple(args.methods),
        targets=tuple(args.targets), eps=tuple(args.eps), alpha=args.alpha, steps=args.steps,
        seed=args.seed, batch=args.batch, thresholds=TierThresholds(args.high, args.medium),
        labels_csv=args.truth_labels, tiers=args.tiers, shard=args.shard,
        clean_from=args.clean_from, classify_only=args.classify_only,
        transfer_to=tuple(args.transfer_to or ()), destroy=tuple(args.destroy or ()))


def cmd_study(args: argparse.Namespace) -> int:
    config = study_config(args)
    config.attacks()  # validate parameters before loading anything heavy
    if args.dry_run:
        return cli_cluster.dry_run(args, config)
    if args.ray is not None:
        return cli_cluster.run_on_ray(args, config)
    if args.shards is not None:
        raise ValueError("--shards goes with --ray (with a scheduler of your own, use --shard K/N)")
    check_out_folder(args.out)
    clf = _classifier(args)
    study = Study(clf, config)
    stop = {"flag": False}

    def on_sigint(_sig, _frame):
        if stop["flag"]:
            raise KeyboardInterrupt
        stop["flag"] = True
        print("\nstopping after the current attack step; finished rows are kept (Ctrl-C again "
              "to abort)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    bars: dict[str, ProgressBar] = {}

    def show(ev: StudyProgress) -> None:
        bar = bars.get(ev.phase)
        if bar is None:
            for done_bar in bars.values():
                done_bar.close()
            bars.clear()
            # Start at the first report so the rate counts only work done in this run.
            bar = bars[ev.phase] = ProgressBar(ev.total, ev.phase, done=ev.done)
        tiers = " ".join(f"{k}:{v}" for k, v in ev.tier_counts.items())
        bar.update(ev.done - bar.done, note=f"{tiers} {ev.message}")

    try:
        outcome = run_to_end(study.run(lambda: stop["flag"]), show)
    finally:
        signal.signal(signal.SIGINT, previous)
    for bar in bars.values():
        bar.close()
    for file, reason in outcome.skipped:
        print(f"skipped {file}: {reason}", file=sys.stderr)
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    print(format_summary(outcome.summary))
    cli_cluster.print_extras(cli_cluster.read_extras_noting(args.out))
    if outcome.fragility:
        print(format_fragility(outcome.fragility))
    state = "cancelled (run again to resume)" if outcome.cancelled else "finished"
    print(f"\n{state}: {outcome.new_rows} new rows this run, {outcome.rows} in all in "
          f"{args.out / 'images.csv'}, {outcome.seconds:.0f} s; summary in "
          f"{args.out / 'summary.csv'}")
    return 130 if outcome.cancelled else 0


def cmd_summary(args: argparse.Namespace) -> int:
    """Re-read a study folder's rows and print its summary (text or Markdown)."""
    path = args.out / "images.csv"
    if not path.exists():
        raise ValueError(f"no study results in {args.out} (images.csv missing)")
    # Read only: a summary never rewrites the study it reads (another run may be writing it).
    contents = read_csv(path, IMAGE_COLUMNS, validate_image_row, image_key,
                        required=[c for c in IMAGE_COLUMNS if c != "study_id"])
    studies = {r.get("study_id", "") for r in contents.rows} - {""}
    if len(studies) > 1:
        raise ValueError(f"{path} holds rows of {len(studies)} different studies; a summary of "
                         "them together would mean nothing")
    if read_manifest(args.out).get("merging"):
        print("note: this folder is a merge that did not finish; run the same merge again",
              file=sys.stderr)
    if contents.damaged:
        print(f"note: {contents.describe_dropped()} (the next run of the study repairs the "
              "file)", file=sys.stderr)
    summary = summary_rows(contents.rows)
    tiers = tuple(args.tier) if args.tier else None
    if tiers:
        summary = [r for r in summary if r["tier"] in tiers]
        if not summary:
            raise ValueError(f"{args.out} has no rows in the tier{'s' if len(tiers) > 1 else ''} "
                             f"{', '.join(tiers)}")
    extras = cli_cluster.read_extras_noting(args.out)
    if not args.markdown:
        print(format_summary(summary))
        cli_cluster.print_extras(extras, tiers)
        return 0
    print(format_markdown(summary))
    models, transforms, rows = beside_rows(summary, extras)
    if models or transforms:
        print(f"\n{beside_heading(uses_truth(summary))}\n")
        print(format_beside_markdown(rows, tiers or tuple(TIER_ORDER)))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    for entry in shipped_models():
        acc = entry.info.get("accuracy_nips17_dev", {})
        print(f"{entry.name}: {entry.title}; nips17-dev top-1 {acc.get('top1', float('nan')):.3f}")
    return 0


def cmd_install_desktop(args: argparse.Namespace) -> int:
    from advgui import desktop  # noqa: PLC0415

    paths = desktop.uninstall() if args.uninstall else desktop.install()
    verb = "removed" if args.uninstall else "installed"
    for path in paths:
        print(f"{verb} {path}")
    if not paths:
        print("nothing to remove" if args.uninstall else "nothing installed")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="advgui-cli", description=__doc__)
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("classify", help="tier and top-5 of each image (files or folders)")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE_OR_FOLDER")
    _model_args(p)
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("attack", help="attack one image and save the adversarial PNG")
    p.add_argument("image", type=Path)
    p.add_argument("--method", choices=METHODS, default="iterative")
    p.add_argument("--target", default="least-likely",
                   help="least-likely | least-likely-top5 | inverse | class:N | true")
    p.add_argument("--truth", type=int, help="true class index (for --target true)")
    p.add_argument("--eps", type=float, default=8.0, help="L-inf budget in pixel levels 0-255")
    p.add_argument("--alpha", type=float, help="step size in pixel levels (default 1)")
    p.add_argument("--steps", type=int, help="iterations (default min(eps+4, 1.25 eps))")
    p.add_argument("--out", type=Path, required=True)
    _model_args(p)
    p.set_defaults(func=cmd_attack)

    p = sub.add_parser("study", help="the seed's tier study on a folder, with CSV reports")
    p.add_argument("folder", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--per-tier", type=int, help="at most N images per tier (default all)")
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS,
                   help="fast, iterative (the seed's two, the default), pgd (Madry et al. 2018: "
                        "random start, alpha 2, 10 steps), momentum (MI-FGSM, Dong et al. 2018: "
                        "decay 1, 10 steps, alpha eps/10)")
    p.add_argument("--targets", nargs="+", default=["least-likely", "inverse"])
    p.add_argument("--eps", nargs="+", type=float, default=[8.0])
    p.add_argument("--alpha", type=float)
    p.add_argument("--steps", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--truth", "--labels-csv", dest="truth_labels", type=Path, metavar="FILE",
                   help="ground truth: labels.csv (file,class_index), Caffe val.txt or Kaggle "
                        "LOC_val_solution.csv (default: one of those in the folder or one level "
                        "up, else wnid file-name prefixes or folders)")
    cli_cluster.add_study_options(p)
    p.add_argument("--tiers", choices=TIER_MODES, default="fixed",
                   help="fixed: --high/--medium thresholds (the seed's 30%%/15%%, default); "
                        "quantile: equal thirds by confidence rank")
    _model_args(p)
    p.set_defaults(func=cmd_study)

    cli_cluster.add_merge_command(sub)

    p = sub.add_parser("summary", help="print the summary table of a finished or partial study")
    p.add_argument("out", type=Path)
    p.add_argument("--markdown", action="store_true",
                   help="Markdown tables, with white-box, transfer and destruction side by side")
    p.add_argument("--tier", nargs="+", choices=TIER_ORDER,
                   help="only these tiers (high, medium, low, all)")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("models", help="list the shipped models")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("install-desktop", help="add advgui to the desktop's application menu")
    p.add_argument("--uninstall", action="store_true", help="remove the launcher and icons")
    p.set_defaults(func=cmd_install_desktop)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (ModelError, ImageError, ValueError, OSError) as exc:
        print(f"advgui-cli: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
