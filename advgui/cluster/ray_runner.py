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
from collections.abc import Callable
from pathlib import Path

import ray

from advgui.core.analysis.tables import format_summary
from advgui.core.model.options import ModelOptions
from advgui.core.records.config import StudyConfig, StudyProgress
from advgui.core.attacks import run_to_end
from advgui.core.study.merge import merge_studies

STOP_CHECK_SECONDS = 1.0
CANCEL_GRACE_SECONDS = 60.0
ALL_SHARDS = "attack (all shards)"  # the phase name of the shards' progress


@ray.remote
class StopFlag:
    """Set by the driver on Ctrl-C; tasks look at it between attack steps."""

    def __init__(self) -> None:
        self.stopped = False

    def set(self) -> None:
        self.stopped = True

    def is_set(self) -> bool:
        return self.stopped


def _run_part(config: StudyConfig, model: ModelOptions, threads: int, stop) -> dict:
    """One study folder (the classification or one shard), run to its end or to a stop."""
    import os  # noqa: PLC0415

    if threads:
        os.environ["ADVGUI_THREADS"] = str(threads)
    from advgui.core.study.engine import Study  # noqa: PLC0415

    clf = model.classifier()
    last = {"t": 0.0, "stop": False}

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last["t"] >= STOP_CHECK_SECONDS:
            last["t"], last["stop"] = now, ray.get(stop.is_set.remote())
        return last["stop"]

    outcome = run_to_end(Study(clf, config).run(should_stop))
    return {"out": str(config.out), "shard": config.shard, "rows": outcome.rows,
            "cancelled": outcome.cancelled, "device": clf.device.describe()}


def _absolute(config: StudyConfig) -> StudyConfig:
    """Workers may run in other directories (or on other nodes sharing the file system)."""
    return dataclasses.replace(
        config, folder=config.folder.resolve(), out=config.out.resolve(),
        labels_csv=config.labels_csv.resolve() if config.labels_csv else None)


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


def run_study_on_ray(model: ModelOptions, config: StudyConfig, address: str | None = None,
                     shards: int | None = None,
                     on_progress: Callable[[StudyProgress], None] | None = None) -> int:
    """The study on the Ray cluster at `address` (a local Ray instance when None) in `shards`
    parts (default: one per GPU, else one per CPU slot), merged into config.out; the exit status.
    on_progress hears about the attack rows of all shards together, every few seconds."""
    from advgui.core.records.folder import check_out_folder  # noqa: PLC0415

    if config.shard or config.clean_from or config.classify_only:
        raise ValueError("--ray cuts the study into shards itself; it takes no --shard, "
                         "--clean-from or --classify-only")
    if shards is not None and shards < 1:
        raise ValueError(f"--shards must be 1 or more (got {shards})")
    check_out_folder(config.out)  # before a cluster's worth of work, not after it
    model.preprocessing()  # a bad --size/--mean/--std is refused here, not in every task
    config, model = _absolute(config), model.resolved()
    ray.init(address=address, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    resources = ray.cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
    if model.device.startswith("cuda") and not gpus:
        raise ValueError(f"--device {model.device}: the Ray cluster has no GPUs")
    if model.device == "cpu":
        gpus = 0  # asked for the CPU: one task per CPU slot even where there are GPUs
    count = shards or (gpus or cpus)
    per_task = {"num_gpus": 1} if gpus else {"num_cpus": 1}
    # Each GPU task sees only its own GPU, as cuda:0.
    model = dataclasses.replace(model, device="cuda" if gpus else "cpu")
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
        classify = dataclasses.replace(config, out=work / "classify", classify_only=True)
        # The classification is one task on all of a worker's cores (it is a small part).
        ray.get(ray.remote(_run_part).options(**({"num_gpus": 1} if gpus else {})).remote(
            classify, model, 0, stop))
        if cancelled["n"]:
            return _stopped(work)
        parts = [work / f"shard-{k}-of-{count}" for k in range(1, count + 1)]
        refs = {task.remote(dataclasses.replace(config, out=part, shard=f"{k}/{count}",
                                                clean_from=work / "classify"),
                            model, threads, stop): part
                for k, part in enumerate(parts, 1)}
        results = _wait(refs, parts, config, on_progress or (lambda _ev: None))
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


def _wait(refs: dict, parts: list[Path], config: StudyConfig,
          on_progress: Callable[[StudyProgress], None]) -> list[dict]:
    """Wait for the shard tasks, reporting the rows of all of them together."""
    from advgui.core.records.row_log import read_csv  # noqa: PLC0415
    from advgui.core.records.config import CLEAN_COLUMNS, sample_rows  # noqa: PLC0415

    clean = read_csv(parts[0].parent / "classify" / "clean.csv", CLEAN_COLUMNS).rows
    jobs = len(config.attacks()) * len(config.targets)
    total = len(sample_rows(clean, config.seed, config.per_tier)) * jobs
    total = max(total, 1)
    on_progress(StudyProgress(ALL_SHARDS, sum(_rows_written(p) for p in parts), total, {}))
    pending, results = list(refs), []
    while pending:
        ready, pending = ray.wait(pending, num_returns=len(pending), timeout=2.0)
        results += ray.get(ready)
        on_progress(StudyProgress(ALL_SHARDS, sum(_rows_written(p) for p in parts), total, {},
                                  f"{len(results)}/{len(refs)} shards done"))
    return results


def _stopped(work: Path) -> int:
    print(f"cancelled: the finished rows are kept in {work}; run the same command again to "
          "resume", file=sys.stderr)
    return 130
