"""advgui-cli study ... --ray [ADDRESS]: the study's shards as Ray tasks, then one merged folder.

The work is the same as the shard commands of a Slurm job array: one classify-only pass, then N
shards given its clean.csv, then `merge`. Every part is an ordinary study folder under
OUT.shards/ (beside OUT, on a file system every Ray worker sees), so a cancelled or killed run
resumes where each part stopped, and finished parts are never redone. One task per GPU when the
cluster has GPUs (num_gpus=1), else one per CPU slot (each ONNX Runtime session then uses one
thread, so N tasks do not fight over the cores).
"""

from __future__ import annotations

import dataclasses
import signal
import sys
import time
from pathlib import Path

import ray

from advgui.core.attacks import run_to_end
from advgui.core.study.merge import merge_studies
from advgui.cli.progress import ProgressBar
from advgui.core.analysis.summary import format_summary
from advgui.core.records.config import StudyConfig

STOP_CHECK_SECONDS = 1.0
CANCEL_GRACE_SECONDS = 60.0


@ray.remote
class StopFlag:
    """Set by the driver on Ctrl-C; tasks look at it between attack steps."""

    def __init__(self) -> None:
        self.stopped = False

    def set(self) -> None:
        self.stopped = True

    def is_set(self) -> bool:
        return self.stopped


def _classifier(model: dict, device: str):
    """The study's classifier as the command line made it: model, labels, preprocessing."""
    from advgui.core.model.preprocess import Preprocessing  # noqa: PLC0415
    from advgui.core.model.registry import load_classifier  # noqa: PLC0415

    pre = None
    if model.get("size"):
        pre = Preprocessing(size=model["size"], mean=tuple(model["mean"]), std=tuple(model["std"]))
    return load_classifier(model.get("spec"), labels=model.get("labels"), preprocessing=pre,
                           device=device)


def _run_part(fields: dict, model: dict, device: str, threads: int, stop) -> dict:
    """One study folder (the classification or one shard), run to its end or to a stop."""
    import os  # noqa: PLC0415

    if threads:
        os.environ["ADVGUI_THREADS"] = str(threads)
    from advgui.core.study.engine import Study  # noqa: PLC0415

    config = StudyConfig(**fields)
    clf = _classifier(model, device)
    last = {"t": 0.0, "stop": False}

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last["t"] >= STOP_CHECK_SECONDS:
            last["t"], last["stop"] = now, ray.get(stop.is_set.remote())
        return last["stop"]

    outcome = run_to_end(Study(clf, config).run(should_stop))
    return {"out": str(config.out), "shard": config.shard, "rows": outcome.rows,
            "cancelled": outcome.cancelled, "device": clf.device.describe()}


def _fields(config: StudyConfig, **changes) -> dict:
    return {f.name: getattr(dataclasses.replace(config, **changes), f.name)
            for f in dataclasses.fields(StudyConfig)}


def _absolute(config: StudyConfig) -> StudyConfig:
    """Workers may run in other directories (or on other nodes sharing the file system)."""
    return dataclasses.replace(
        config, folder=config.folder.resolve(), out=config.out.resolve(),
        labels_csv=config.labels_csv.resolve() if config.labels_csv else None)


def _model_options(args) -> dict:
    spec = args.model
    if spec and (spec.endswith(".onnx") or "/" in spec) and Path(spec).exists():
        spec = str(Path(spec).resolve())
    return {"spec": spec, "labels": str(Path(args.class_names).resolve()) if args.class_names
            else None, "size": args.size, "mean": args.mean, "std": args.std}


def _task_error(exc: Exception) -> str:
    """A task's own error in one line, not Ray's coloured remote traceback."""
    cause = getattr(exc, "cause", None)
    return str(cause) if cause is not None else str(exc).splitlines()[-1]


def _rows_written(out: Path) -> int:
    """Rows in a part's images.csv so far (records end in CRLF), for the progress bar."""
    try:
        with open(out / "images.csv", "rb") as fh:
            return max(fh.read().count(b"\r\n") - 1, 0)
    except OSError:
        return 0


def run_study_on_ray(args, config: StudyConfig) -> int:
    from advgui.core.records.folder import check_out_folder  # noqa: PLC0415

    if config.shard or config.clean_from or config.classify_only:
        raise ValueError("--ray cuts the study into shards itself; it takes no --shard, "
                         "--clean-from or --classify-only")
    if args.shards is not None and args.shards < 1:
        raise ValueError(f"--shards must be 1 or more (got {args.shards})")
    check_out_folder(config.out)  # before a cluster's worth of work, not after it
    config = _absolute(config)
    model = _model_options(args)
    ray.init(address=args.ray or None, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    resources = ray.cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
    if args.device.startswith("cuda") and not gpus:
        raise ValueError(f"--device {args.device}: the Ray cluster has no GPUs")
    if args.device == "cpu":
        gpus = 0  # asked for the CPU: one task per CPU slot even where there are GPUs
    count = args.shards or (gpus or cpus)
    per_task = {"num_gpus": 1} if gpus else {"num_cpus": 1}
    device = "cuda" if gpus else "cpu"  # each GPU task sees only its own GPU, as cuda:0
    threads = 0 if gpus else 1
    work = Path(f"{config.out}.shards")
    print(f"Ray: {cpus} CPUs, {gpus} GPUs; {count} shards ({'one GPU' if gpus else 'one CPU'} "
          f"each); parts in {work}", file=sys.stderr)
    stop = StopFlag.remote()
    task = ray.remote(_run_part).options(**per_task)
    cancelled = {"n": 0}

    def on_sigint(_sig, _frame):
        cancelled["n"] += 1
        if cancelled["n"] > 1:
            raise KeyboardInterrupt
        print("\nstopping the tasks after their current attack step; finished rows are kept "
              "(Ctrl-C again to abort)", file=sys.stderr)
        stop.set.remote()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        classify = _fields(config, out=work / "classify", classify_only=True)
        # The classification is one task on all of a worker's cores (it is a small part).
        ray.get(ray.remote(_run_part).options(**({"num_gpus": 1} if gpus else {})).remote(
            classify, model, device, 0, stop))
        if cancelled["n"]:
            return _stopped(work)
        parts = [work / f"shard-{k}-of-{count}" for k in range(1, count + 1)]
        refs = {task.remote(_fields(config, out=part, shard=f"{k}/{count}",
                                    clean_from=work / "classify"),
                            model, device, threads, stop): part
                for k, part in enumerate(parts, 1)}
        results = _wait(refs, parts, config)
    except KeyboardInterrupt:
        for ref in list(locals().get("refs", {})):
            ray.cancel(ref, force=True)
        print("aborted; each part resumes when the same command runs again", file=sys.stderr)
        return 130
    except ray.exceptions.RayTaskError as exc:
        raise ValueError(f"a Ray task failed: {_task_error(exc)}") from None
    finally:
        signal.signal(signal.SIGINT, previous)
    if any(r["cancelled"] for r in results):  # stopped: unless every row was done anyway
        return _stopped(work)
    outcome = merge_studies(parts, config.out)
    print(format_summary(outcome.summary))
    print(f"\nfinished: {count} shards merged, {outcome.rows} rows of {outcome.images} images in "
          f"{config.out / 'images.csv'}; the parts stay in {work}")
    return 0


def _wait(refs: dict, parts: list[Path], config: StudyConfig) -> list[dict]:
    """Wait for the shard tasks, with one progress bar over all of their rows."""
    from advgui.core.records.row_log import read_csv  # noqa: PLC0415
    from advgui.core.records.config import CLEAN_COLUMNS, sample_rows  # noqa: PLC0415

    clean = read_csv(parts[0].parent / "classify" / "clean.csv", CLEAN_COLUMNS).rows
    jobs = len(config.attacks()) * len(config.targets)
    total = len(sample_rows(clean, config.seed, config.per_tier)) * jobs
    done0 = sum(_rows_written(p) for p in parts)
    bar = ProgressBar(max(total, 1), "attack (all shards)", done=done0)
    pending, results = list(refs), []
    while pending:
        ready, pending = ray.wait(pending, num_returns=len(pending), timeout=2.0)
        results += ray.get(ready)
        now = sum(_rows_written(p) for p in parts)
        bar.update(now - bar.done, note=f"{len(results)}/{len(refs)} shards done")
    bar.close()
    return results


def _stopped(work: Path) -> int:
    print(f"cancelled: the finished rows are kept in {work}; run the same command again to "
          "resume", file=sys.stderr)
    return 130
