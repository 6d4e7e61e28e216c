"""A test run that hangs in native code with the GIL held says where and ends: the watcher
(tests/helpers/hang_watch.py) prints the Python and the native stacks and kills the run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers.cli import ROOT

HANGS = '''
import ctypes

def test_hangs_in_c_with_the_gil_held():
    libc, mutex = ctypes.PyDLL(None), ctypes.create_string_buffer(64)  # zeros: an unlocked mutex
    libc.pthread_mutex_lock(mutex)
    libc.pthread_mutex_lock(mutex)  # a deadlock in C with the GIL held (PyDLL keeps it)
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="a zeroed mutex deadlocks on glibc only; macOS's py-spy needs root")
@pytest.mark.skipif(not (shutil.which("py-spy") or shutil.which("gdb")),
                    reason="needs py-spy or gdb for the native stacks")
def test_a_hang_prints_both_stacks_and_ends_the_run(tmp_path) -> None:
    (tmp_path / "test_hangs.py").write_text(HANGS)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVGUI_TEST_HANG_LIMIT_S": "3"}
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "tests.helpers.hang_watch", "test_hangs.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    took = time.monotonic() - began
    out = done.stdout + done.stderr
    assert done.returncode == -9, out[-3000:]  # killed, not left to run out CI's time
    assert took < 200, took
    assert "HANG: no test has started for" in out
    assert "test_hangs.py::test_hangs_in_c_with_the_gil_held" in out
    # faulthandler's Python frame, and the native frames below it (the mutex's wait)
    assert 'test_hangs.py", line 7 in test_hangs_in_c_with_the_gil_held' in out, out[-3000:]
    assert "lock" in out.split("=== native stacks:")[1], out[-3000:]


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2") or not shutil.which("pgrep"),
                    reason="no watcher without SIGUSR2 (Windows); pgrep lists the watchers")
def test_a_run_that_ends_takes_its_watcher_with_it(tmp_path) -> None:
    (tmp_path / "test_quick.py").write_text("def test_quick():\n    pass\n")
    # The beat file (so the watcher's command line) in tmp_path; the output to a file, not a pipe:
    # a pipe's reader would wait for a watcher left behind to close it, and so never see it.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVGUI_TEST_HANG_LIMIT_S": "600",
           "TMPDIR": str(tmp_path)}
    with open(tmp_path / "out.txt", "w") as out:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-p", "tests.helpers.hang_watch", "test_quick.py"],
                              cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=120)
    watchers = subprocess.run(["pgrep", "-f", f"tests.helpers.hang_watch .*{tmp_path}"],
                              capture_output=True, text=True).stdout
    said = (tmp_path / "out.txt").read_text()
    assert done.returncode == 0, said
    assert "HANG" not in said
    assert not watchers.strip(), "a watcher outlived its test run"
    assert not list(tmp_path.glob("advgui-test-beat-*")), "the beat file was left behind"
