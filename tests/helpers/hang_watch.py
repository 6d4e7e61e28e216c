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

HANG_LIMIT_S = float(os.environ.get("ADVGUI_TEST_HANG_LIMIT_S", "600"))  # slowest test: ~3 min
POLL_S = 5.0
PYTHON_STACKS_SIGNAL = signal.SIGUSR2
NATIVE_DUMP_TIMEOUT_S = 120
NATIVE_FRAMES = 30

_watcher: subprocess.Popen | None = None
_beat: Path | None = None


# -- the pytest side ------------------------------------------------------------------------------
def pytest_configure(config) -> None:
    global _watcher, _beat
    if HANG_LIMIT_S <= 0 or not hasattr(signal, "SIGUSR2"):
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
    except ProcessLookupError:
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


def _native_stacks(pid: int) -> str:
    if shutil.which("py-spy"):
        command = ["py-spy", "dump", "--native", "--pid", str(pid)]
    elif shutil.which("gdb"):
        command = ["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off",
                   "-ex", f"thread apply all bt {NATIVE_FRAMES}"]
    else:
        return "(neither py-spy nor gdb is installed: no native stacks)\n"
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=NATIVE_DUMP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"({command[0]} did not finish within {NATIVE_DUMP_TIMEOUT_S} s)\n"
    if command[0] == "gdb":
        return _compact_gdb(done.stdout) or done.stderr
    return done.stdout + done.stderr


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
        os.kill(pid, signal.SIGKILL)
        return 1


if __name__ == "__main__":
    sys.exit(watch(int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])))
