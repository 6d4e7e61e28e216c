"""The one way tests run ``advgui-cli``: a real process of this tree (``python -m
advgui.cli.main`` with PYTHONPATH at the repository root), as a user would run it, and the CSV
rows it writes."""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A small, seeded study: what ``cli("study", ...)`` adds unless told otherwise.
STUDY_OPTIONS = ["--device", "cpu", "--batch", "3", "--eps", "4", "8", "--high", "0.2",
                 "--medium", "0.12", "--seed", "3", "--per-tier", "3"]


def start_cli(*args: str | Path, limit_gb: float | None = None,
              stderr=subprocess.PIPE) -> subprocess.Popen:
    """The command line started with exactly ``args``, not waited for; pipes for its output,
    or its stderr where ``stderr`` says (a log file, a terminal's pty). With ``limit_gb`` its
    address space is capped, so that a memory regression fails with MemoryError instead of
    swapping the machine."""
    def limit() -> None:
        if limit_gb:
            size = int(limit_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return subprocess.Popen([sys.executable, "-m", "advgui.cli.main", *map(str, args)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=stderr, text=True, preexec_fn=limit)


def finish(proc: subprocess.Popen, timeout: float = 300) -> subprocess.CompletedProcess:
    """A started command line waited for (killed past ``timeout``, as subprocess.run does)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_cli(*args: str | Path, limit_gb: float | None = None) -> tuple[int, str, str]:
    """The command line run to its end with exactly ``args``: exit code, stdout, stderr."""
    done = finish(start_cli(*args, limit_gb=limit_gb))
    return done.returncode, done.stdout, done.stderr


def cli(*args, check: bool = True, steps: int = 12, wait: bool = True, options: bool = True,
        stderr=subprocess.PIPE):
    """The command line; a ``study`` gets STUDY_OPTIONS and ``--steps`` unless ``options`` is
    False. Waited for (asserting exit 0 when ``check``) and returned as a CompletedProcess, or
    with ``wait=False`` returned running as a Popen. ``stderr``: as start_cli's (its text is
    then not in the result)."""
    cmd = [*map(str, args)]
    if options and args[0] == "study":
        cmd += STUDY_OPTIONS + ["--steps", str(steps)]
    proc = start_cli(*cmd, stderr=stderr)
    if not wait:
        return proc
    done = finish(proc)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
