"""A test run that hangs says where, native frames included, and ends at once.

faulthandler's timeout prints only Python frames: a CI run that hung in Qt's C++ under a garbage
collection showed one line of a test and nothing below it, then ran out its 90 minutes. This
plugin starts a small watcher process beside pytest. Each test's start touches a beat file; when
no test has started for HANG_LIMIT_S the watcher prints every thread's Python stack (faulthandler,
by a signal that works while the GIL is held) and native stack (py-spy when installed, else gdb),
then kills pytest: the log names the hang and CI still has time to report it.

Run as a program it is that watcher: python -m tests.helpers.hang_watch PID BEAT LIMIT_S."""

from __future__ import annotations

import faulthandler
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HANG_LIMIT_S = float(os.environ.get("ADVGUI_TEST_HANG_LIMIT_S", "1200"))  # see pyproject: durations
POLL_S = 5.0
# Windows has no SIGUSR2 (nor faulthandler.register): there the plugin does nothing, and
# pyproject's faulthandler_timeout still prints the Python stacks of a test that hangs.
PYTHON_STACKS_SIGNAL = getattr(signal, "SIGUSR2", None)
PR_SET_PTRACER = 0x59616D61  # Linux (Yama): lets the watcher's py-spy or gdb attach to pytest
NATIVE_DUMP_TIMEOUT_S = 120
NATIVE_FRAMES = 30

_watcher: subprocess.Popen | None = None
_beat: Path | None = None


# -- the pytest side ------------------------------------------------------------------------------
def pytest_configure(config) -> None:
    global _watcher, _beat
    if HANG_LIMIT_S <= 0 or PYTHON_STACKS_SIGNAL is None:
        return
    # The terminal's stderr as it is now, before pytest captures each test's output.
    err = os.dup(sys.stderr.fileno())
    faulthandler.register(PYTHON_STACKS_SIGNAL, file=err, all_threads=True)
    fd, name = tempfile.mkstemp(prefix="advgui-test-beat-")
    os.close(fd)
    _beat = Path(name)
    _beat.write_text("(collecting)")
    _watcher = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.hang_watch", str(os.getpid()), name,
         str(HANG_LIMIT_S)],
        stdout=err, stderr=err, stdin=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2], start_new_session=True)
    _allow_tracing_by(_watcher.pid)


def _allow_tracing_by(pid: int) -> None:
    """Under Yama's ptrace_scope 1 (Ubuntu's default, CI runners as a non-root user) only an
    ancestor may attach, and the watcher is pytest's child: name it (and so its py-spy or gdb)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # noqa: PLC0415

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PTRACER, pid, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # no Yama, or no prctl: nothing to allow


def pytest_runtest_logstart(nodeid, location) -> None:
    if _beat is not None:
        _beat.write_text(nodeid)  # a write is the heartbeat: its mtime is the test's start


def pytest_unconfigure(config) -> None:
    global _watcher
    if _watcher is not None:
        _watcher.terminate()
        _watcher.wait(10)
        _watcher = None
    if _beat is not None:
        _beat.unlink(missing_ok=True)


# -- the watcher ---------------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone (or its number reused by another user)
        return False
    return True


def _say(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


_GDB_THREAD = re.compile(r"^Thread (\d+) \(Thread (0x[0-9a-f]+)")
_GDB_FRAME = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: (?:at|from) (\S+))?")


def _compact_gdb(text: str) -> str:
    """One short line a frame, the main thread (gdb's Thread 1, printed last) last: CI shows the
    end of its log, and the frames' arguments would push the names out of it."""
    lines, in_python = [], False
    for line in text.splitlines():
        if thread := _GDB_THREAD.match(line):
            lines.append(f"Thread {thread[1]} ({thread[2]}):")
            in_python = False
        elif (frame := _GDB_FRAME.match(line)) and not in_python:
            where = f"  ({Path(frame[3]).name})" if frame[3] else ""
            lines.append(f"  #{frame[1]} {frame[2]}{where}")
            # Below the interpreter's loop the frames are Python's: faulthandler named those.
            if frame[2] == "_PyEval_EvalFrameDefault":
                lines.append("  ... (Python frames: above)")
                in_python = True
    return "\n".join(lines) + "\n"


def _compact_py_spy(text: str) -> str:
    """Each thread's frames down to pytest's own, the main thread last (CI shows the log's end)."""
    blocks: list[list[str]] = []
    cut = False
    for line in text.splitlines():
        if line.startswith("Thread "):
            blocks.append([line])
            cut = False
        elif blocks and line.strip() and not cut:
            cut = "(_pytest/" in line or "(pluggy/" in line
            blocks[-1].append("    ... (pytest)" if cut else line)
    blocks.sort(key=lambda block: '"MainThread"' in block[0])
    return "\n".join("\n".join(block) for block in blocks) + "\n"


def _run(command: list[str]) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(command, capture_output=True, text=True,
                              timeout=NATIVE_DUMP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _native_stacks(pid: int) -> str:
    """py-spy's (Python and native frames interleaved) where it can attach, else gdb's."""
    said = []
    py_spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}"
                                         f"{os.environ.get('PATH', '')}")
    if py_spy:
        done = _run([py_spy, "dump", "--native", "--pid", str(pid)])
        if done is not None and done.returncode == 0:
            return _compact_py_spy(done.stdout)
        said.append(f"(py-spy could not read the stacks: {done.stderr.strip()[-300:] if done else 'timed out'})")
    if shutil.which("gdb"):
        done = _run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off",
                     "-ex", f"thread apply all bt {NATIVE_FRAMES}"])
        if done is not None and (stacks := _compact_gdb(done.stdout)).strip():
            return "\n".join([*said, stacks])
        said.append(f"(gdb could not read the stacks: {done.stderr.strip()[-300:] if done else 'timed out'})")
    return "\n".join(said or ["(neither py-spy nor gdb is installed: no native stacks)"]) + "\n"


def watch(pid: int, beat: Path, limit_s: float) -> int:
    while True:
        time.sleep(POLL_S)
        if not _alive(pid):
            return 0
        try:
            started = beat.stat().st_mtime
            test = beat.read_text()
        except OSError:
            return 0  # the run has ended and removed its beat
        stuck_s = time.time() - started
        if stuck_s < limit_s:
            continue
        _say(f"\n\n=== HANG: no test has started for {stuck_s:.0f} s; running: {test}\n"
             "=== Python stacks (faulthandler):\n")
        os.kill(pid, PYTHON_STACKS_SIGNAL)
        time.sleep(2)
        _say("\n=== native stacks:\n" + _native_stacks(pid))
        _say(f"\n=== killing the test run (pid {pid}) so that CI reports this hang\n")
        beat.unlink(missing_ok=True)  # its own unconfigure will not run
        os.kill(pid, signal.SIGKILL)
        return 1


if __name__ == "__main__":
    sys.exit(watch(int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])))
