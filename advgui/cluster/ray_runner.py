"""advgui-cli study ... --ray [ADDRESS]: the study's shards as Ray tasks, then one merged folder.

The work is the same as the shard commands of a Slurm job array: one classify-only pass, then N
shards given its clean.csv, then `merge`. Every part is an ordinary study folder under
OUT.shards/ (beside OUT, on a file system every Ray worker sees), so a cancelled or killed run
resumes where each part stopped, and finished parts are never redone. One task per GPU when the
cluster has GPUs (num_gpus=1), else one per CPU slot (each ONNX Runtime session then uses one
thread, so N tasks do not fight over the cores).

OUT.shards/ is this runner's own: it is made with a mark (.advgui-ray-shards), and a link, a
folder holding anything but its parts, or a part that is a link is refused before Ray starts,
so no part is ever written into someone else's folder. An address where no Ray answers is
refused within CONNECT_SECONDS, naming it. Ctrl-C stops the tasks after their current attack
step (cancelled after CANCEL_GRACE_SECONDS if they have not); a second Ctrl-C aborts. The local
Ray instance started when no address is given is shut down however the run ends (also on an
exception or a second Ctrl-C). A kill -9 of the driver gives it no chance to: Ray 2.60 then
ends its GCS server and raylet, but the DashboardAgent and RuntimeEnvAgent stay (include_dashboard
=False does not stop them starting). So a local instance is started with a watcher beside it
(advgui.cluster.watch, in its own session) that ends every process the driver started once the
driver is gone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import ray

from advgui.core.analysis.tables import format_summary
from advgui.core.model.options import ModelOptions
from advgui.core.records.config import StudyConfig, StudyProgress
from advgui.core.attacks import run_to_end
from advgui.core.study.merge import merge_studies
from advgui.core.wording import count_noun

STOP_CHECK_SECONDS = 0.5
CANCEL_GRACE_SECONDS = 15.0  # after a Ctrl-C, tasks still running then are cancelled
CONNECT_SECONDS = 30.0  # to reach a cluster's address
LOCAL_START_SECONDS = 180.0  # to start a local Ray instance (a loaded laptop is slow)
WAIT_SECONDS = 0.5  # how often the driver looks up from the tasks (so Ctrl-C is heard at once)
SHARDS_MARK = ".advgui-ray-shards"
_PART_NAME = re.compile(r"classify|shard-\d+-of-\d+")
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
            try:
                stopped = ray.get(stop.is_set.remote(), timeout=30)
            except ray.exceptions.RayError:  # the driver (which owns the flag) is gone: stop
                stopped = True
            last["t"], last["stop"] = now, stopped
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


def check_shards_folder(work: Path) -> None:
    """OUT.shards may be new, or a folder this runner made (marked, holding only its parts):
    never a link, a user's folder, or one where a part is a link to elsewhere."""
    from advgui.core.records.folder import is_study_folder  # noqa: PLC0415

    if work.is_symlink() or (work.exists() and not work.is_dir()):
        raise ValueError(f"{work} is a {'link' if work.is_symlink() else 'file'}, not a folder "
                         "--ray made; it keeps its parts there and writes nowhere else. Remove "
                         "it, or choose another --out")
    if not work.exists():
        return
    names = sorted(os.listdir(work))
    links = [n for n in names if (work / n).is_symlink()]
    if links:
        raise ValueError(f"{work}: {links[0]} is a link; --ray writes its parts only inside "
                         f"{work}. Remove it, or choose another --out")
    others = [n for n in names if n != SHARDS_MARK and not _PART_NAME.fullmatch(n)]
    if others:
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        raise ValueError(f"{work} holds other files ({shown}), so --ray did not make it; it "
                         "keeps its parts there. Move them, or choose another --out")
    if SHARDS_MARK not in names and not all(is_study_folder(work / n) for n in names):
        raise ValueError(f"{work} was not made by --ray (no {SHARDS_MARK}, and not every folder "
                         "in it is a study); it keeps its parts there. Remove it, or choose "
                         "another --out")


def _mark_shards_folder(work: Path) -> None:
    from advgui.core.records.safe_write import atomic_write_json, real_subfolder  # noqa: PLC0415

    real_subfolder(work.parent, work.name)
    if not (work / SHARDS_MARK).is_file():
        atomic_write_json(work / SHARDS_MARK, {"advgui_ray_shards": 1})


def _probe(address: str) -> None:
    """Refuse at once an address where nothing listens (Ray itself would retry for ever)."""
    m = re.fullmatch(r"\[?([^\]]+?)\]?:(\d+)", address)
    if not m:
        return  # "auto", ray://...: Ray resolves them; the time-out still applies
    try:
        socket.create_connection((m.group(1), int(m.group(2))), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ValueError(f"--ray {address}: no Ray cluster answers there "
                         f"({exc.strerror or exc}); start one with `ray start --head` and give "
                         "the address it prints") from None


def _init(address: str | None) -> None:
    """ray.init, bounded: a cluster that does not answer ends the run in one line."""
    if address:
        _probe(address)
    limit = CONNECT_SECONDS if address else LOCAL_START_SECONDS
    done = threading.Event()

    def give_up() -> None:
        if not done.is_set():  # ray.init cannot be interrupted from here: end the process
            where = f"--ray {address}: no Ray cluster answered there" if address else \
                "--ray: the local Ray instance did not start"
            print(f"advgui-cli: error: {where} within {limit:.0f} s; check the address (`ray "
                  "status` there), or run without --ray", file=sys.stderr, flush=True)
            os._exit(2)

    if not address:
        _start_watcher()
    timer = threading.Timer(limit, give_up)
    timer.daemon = True
    timer.start()
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    finally:
        done.set()
        timer.cancel()


_watcher: subprocess.Popen | None = None  # kept: it outlives the run, never waited for


def _start_watcher() -> None:
    """The watcher that ends the local Ray instance's processes if this driver is killed."""
    global _watcher  # noqa: PLW0603
    _watcher = subprocess.Popen([sys.executable, "-m", "advgui.cluster.watch", str(os.getpid())],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)


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
    check_shards_folder(Path(f"{config.out}.shards"))
    model.preprocessing()  # a bad --size/--mean/--std is refused here, not in every task
    config, model = _absolute(config), model.resolved()
    _init(address)
    try:
        return _run(model, config, shards, on_progress)
    finally:
        ray.shutdown()  # a local instance stops with the run; a cluster's stays up


def _run(model: ModelOptions, config: StudyConfig, shards: int | None,
         on_progress: Callable[[StudyProgress], None] | None) -> int:
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
    check_shards_folder(work)  # again, now that it is about to be written
    _mark_shards_folder(work)
    print(f"Ray: {cpus} CPUs, {gpus} GPUs; {count} shards ({'one GPU' if gpus else 'one CPU'} "
          f"each); parts in {work}", file=sys.stderr)
    stop = StopFlag.remote()
    task = ray.remote(_run_part).options(**per_task)
    cancelled = {"n": 0, "at": 0.0}

    def on_sigint(_sig, _frame):
        cancelled["n"] += 1
        if cancelled["n"] > 1:
            raise KeyboardInterrupt
        cancelled["at"] = time.monotonic()
        print("\nstopping the tasks after their current attack step; finished rows are kept "
              "(Ctrl-C again to abort)", file=sys.stderr)
        stop.set.remote()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        classify = dataclasses.replace(config, out=work / "classify", classify_only=True)
        # The classification is one task on all of a worker's cores (it is a small part).
        refs = {ray.remote(_run_part).options(**({"num_gpus": 1} if gpus else {})).remote(
            classify, model, 0, stop): work / "classify"}
        _wait(refs, cancelled)
        if cancelled["n"]:
            return _stopped(work)
        parts = [work / f"shard-{k}-of-{count}" for k in range(1, count + 1)]
        refs = {task.remote(dataclasses.replace(config, out=part, shard=f"{k}/{count}",
                                                clean_from=work / "classify"),
                            model, threads, stop): part
                for k, part in enumerate(parts, 1)}
        results = _wait(refs, cancelled, _progress(parts, config, on_progress))
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
    print(f"\nfinished: {count_noun(count, 'shard')} merged, {count_noun(outcome.rows, 'row')} of "
          f"{count_noun(outcome.images, 'image')} in "
          f"{config.out / 'images.csv'}; the parts stay in {work}")
    return 0


def _progress(parts: list[Path], config: StudyConfig,
              on_progress: Callable[[StudyProgress], None] | None) -> Callable[[int, int], None]:
    """Reports the rows of all shard tasks together: (tasks done, tasks) -> on_progress."""
    from advgui.core.records.row_log import read_csv  # noqa: PLC0415
    from advgui.core.records.config import CLEAN_COLUMNS, sample_rows  # noqa: PLC0415

    tell = on_progress or (lambda _ev: None)
    clean = read_csv(parts[0].parent / "classify" / "clean.csv", CLEAN_COLUMNS).rows
    jobs = len(config.attacks()) * len(config.targets)
    total = max(len(sample_rows(clean, config.seed, config.per_tier)) * jobs, 1)
    tell(StudyProgress(ALL_SHARDS, sum(_rows_written(p) for p in parts), total, {}))

    def report(done: int, tasks: int) -> None:
        tell(StudyProgress(ALL_SHARDS, sum(_rows_written(p) for p in parts), total, {},
                           f"{done}/{tasks} shards done"))
    return report


def _wait(refs: dict, cancelled: dict,
          report: Callable[[int, int], None] = lambda _done, _tasks: None) -> list[dict]:
    """The tasks' results, looking up often (a Ctrl-C is heard at once). After a Ctrl-C the
    tasks stop after their attack step; those still running CANCEL_GRACE_SECONDS later are
    cancelled, and count as stopped."""
    pending, results = list(refs), []
    while pending:
        ready, pending = ray.wait(pending, num_returns=len(pending), timeout=WAIT_SECONDS)
        for ref in ready:
            try:
                results.append(ray.get(ref))
            except ray.exceptions.TaskCancelledError:
                results.append({"out": str(refs[ref]), "cancelled": True})
        report(len(results), len(refs))
        if pending and cancelled["n"] and \
                time.monotonic() - cancelled["at"] > CANCEL_GRACE_SECONDS:
            for ref in pending:
                ray.cancel(ref, force=True)
            results += [{"out": str(refs[ref]), "cancelled": True} for ref in pending]
            break
    return results


def _stopped(work: Path) -> int:
    print(f"cancelled: the finished rows are kept in {work}; run the same command again to "
          "resume", file=sys.stderr)
    return 130
