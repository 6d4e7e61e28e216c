"""advgui-cli study ... --dry-run: the forward and gradient runs a study needs, and the time they
take (measured on this machine; estimated for GPUs by the cost model)."""

from __future__ import annotations

import statistics
import time

import numpy as np

from advgui.cli.options import load_model
from advgui.core.attacks import Target
from advgui.core.records.inputs import list_image_files
from advgui.core.model.options import ModelOptions
from advgui.core.records.config import CLEAN_COLUMNS, StudyConfig, sample_rows, validate_clean_row
from advgui.core.records.row_log import read_csv
from advgui.core.model.transforms import Transform
from advgui.core.records.folder import check_out_folder
from advgui.core.study.extras import destroy_scorers, transfer_scorers
from advgui.core.study.cost_model import Rates, Work, format_plan, gpu_estimate, study_work
from advgui.core.wording import count_noun


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


def _check_like_the_study(config: StudyConfig) -> None:
    """What the real run refuses before any work, refused here too, before a plan is printed."""
    if not config.folder.is_dir():
        raise ValueError(f"images folder not found: {config.folder}")
    check_out_folder(config.out)
    if config.clean_from is not None and not (config.clean_from / "clean.csv").is_file():
        raise ValueError(f"--clean-from {config.clean_from}: it has no clean.csv. Classify the "
                         f"folder once with: advgui-cli study {config.folder} --out "
                         f"{config.clean_from} --classify-only, and let it finish")
    for t in config.destroy:
        Transform.parse(t)


def _has_features(model) -> bool:
    from advgui.core.model.features import FeatureError, penultimate_tensor  # noqa: PLC0415

    try:
        penultimate_tensor(model)
    except FeatureError:
        return False
    return True


def dry_run(options: ModelOptions, config: StudyConfig) -> int:
    from advgui.core.autodiff import build_gradient_model  # noqa: PLC0415
    from advgui.core.model.flops import conv_flops  # noqa: PLC0415

    _check_like_the_study(config)
    images = len(list_image_files(config.folder, skip=(config.out,)))
    if config.clean_from is not None or config.part is not None:
        classify = 0 if config.clean_from else images
    else:
        classify = images
    sampled, how = _sampled(config, images)
    clf = load_model(options)
    # The study loads and checks these before it writes anything; so does its dry run.
    transfer_scorers(clf, config, "")
    destroy_scorers(clf, config)
    targets = len({str(Target.parse(t, clf.num_classes)) for t in config.targets})
    attacks = [] if config.classify_only else [
        (m, e, getattr(a, "queries", a.steps)) for m, e, a in config.attacks()]
    work = study_work(classify, sampled, attacks, targets)
    if attacks and _has_features(clf.model):
        # after the attacks, the penultimate features of each sampled photo and each adversarial
        # (features.npz): one forward run each, of the graph with that tensor as an output
        work["features"] = Work(sampled * (1 + targets * len(attacks)), 0)
    fwd = conv_flops(clf.model, {"N": 1}) / 1e9
    grad_model, _ = build_gradient_model(clf.model, (3, clf.size, clf.size))
    grad = conv_flops(grad_model, {"N": 1}) / 1e9
    print(f"study of {config.folder}: {count_noun(images, 'image')}, sample {sampled:,} ({how}), "
          f"{count_noun(len(attacks), 'attack')} x {count_noun(targets, 'target')}"
          + (f", shard {config.shard}" if config.shard else ""))
    rates = measured_rates(clf, config.batch)
    print(format_plan(work, rates, [gpu_estimate(fwd, grad, g) for g in (1, 8)], fwd, grad))
    return 0
