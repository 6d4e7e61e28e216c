"""python -m advgui.cluster.watch DRIVER_PID: ends the local Ray instance of a --ray run whose
driver was killed (kill -9 gives the driver no chance to call ray.shutdown).

The Ray processes a driver starts (GCS server, raylet, its DashboardAgent and RuntimeEnvAgent,
the workers) are the driver's descendants while it lives; when it is killed they are re-parented
and nothing ties them to the run any more, and the two agents stay running. So this watcher,
started by the driver in its own session, notes the driver's descendants every
SNAPSHOT_SECONDS (by process id and start time, so a reused id is never touched) and, once the
driver is gone, ends those still running (and their own children): SIGTERM, then SIGKILL after
GRACE_SECONDS (the agents were seen to ignore SIGTERM for longer). A run that ends normally has shut Ray down already; the watcher then finds
nothing, or only what Ray's shutdown left behind, and ends it the same way.
"""

from __future__ import annotations

import importlib.util
import signal
import sys
import time

try:
    import psutil
except ImportError:  # Ray bundles its own psutil (not on the path until ray is imported)
    sys.path.insert(0, f"{importlib.util.find_spec('ray').submodule_search_locations[0]}"
                       "/thirdparty_files")
    import psutil

SNAPSHOT_SECONDS = 0.5
GRACE_SECONDS = 3.0


def _key(proc: psutil.Process) -> tuple[int, float] | None:
    try:
        return proc.pid, proc.create_time()
    except psutil.Error:
        return None


def _descendants(proc: psutil.Process) -> set[tuple[int, float]]:
    try:
        children = proc.children(recursive=True)
    except psutil.Error:
        return set()
    return {k for k in map(_key, children) if k is not None}


def _alive(keys: set[tuple[int, float]]) -> list[psutil.Process]:
    """The processes of ``keys`` still running (the same process: same id and start time),
    with their children started since the last snapshot."""
    found: dict[int, psutil.Process] = {}
    for pid, started in keys:
        try:
            proc = psutil.Process(pid)
            if proc.create_time() != started:
                continue  # the id was reused by another process
            found[pid] = proc
            for child in proc.children(recursive=True):
                found.setdefault(child.pid, child)
        except psutil.Error:
            continue
    return list(found.values())


def end(keys: set[tuple[int, float]]) -> None:
    procs = [p for p in _alive(keys) if p.pid != psutil.Process().pid]
    for proc in procs:
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, still = psutil.wait_procs(procs, timeout=GRACE_SECONDS)
    for proc in still:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(still, timeout=GRACE_SECONDS)


def watch(driver_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the driver's to handle
    me = psutil.Process().pid
    try:
        driver = psutil.Process(driver_pid)
        started = driver.create_time()
    except psutil.Error:
        return
    seen: set[tuple[int, float]] = set()
    while True:
        try:
            if not driver.is_running() or driver.create_time() != started or \
                    driver.status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.Error:
            break
        # Everything the driver ever started is kept: an agent re-parented away from its
        # raylet while the driver still lives is no longer below it.
        seen |= {k for k in _descendants(driver) if k[0] != me}
        time.sleep(SNAPSHOT_SECONDS)
    end(seen)


if __name__ == "__main__":
    watch(int(sys.argv[1]))
