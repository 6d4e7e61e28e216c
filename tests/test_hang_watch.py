"""A test run that hangs in native code with the GIL held says where and ends: the watcher
(tests/helpers/hang_watch.py) prints the Python and the native stacks and kills the run."""

from __future__ import annotations

import os
import shutil
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


def test_a_run_that_ends_takes_its_watcher_with_it(tmp_path) -> None:
    (tmp_path / "test_quick.py").write_text("def test_quick():\n    pass\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVGUI_TEST_HANG_LIMIT_S": "3"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "tests.helpers.hang_watch", "test_quick.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    watchers = subprocess.run(["pgrep", "-f", f"tests.helpers.hang_watch .*{tmp_path.name}"],
                              capture_output=True, text=True).stdout
    assert "HANG" not in done.stdout + done.stderr
    assert not list(tmp_path.glob("advgui-test-beat-*"))
    assert not watchers.strip()
