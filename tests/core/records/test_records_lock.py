"""The study folder's lock (through portalocker): one writer, many readers, refusals that name the
holder; and the write path's fsync of the folder after a rename, and the file hash."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import portalocker
import pytest

from advgui.core.model.hashing import sha256_file
from advgui.core.records import safe_write
from advgui.core.records.folder import LOCK_NAME, StudyBusy, StudyLock


def test_writer_excludes_everyone_and_readers_share(tmp_path: Path) -> None:
    with StudyLock(tmp_path):
        with pytest.raises(StudyBusy, match="is in use by another advgui run .process "
                                            f"{os.getpid()} on"):
            StudyLock(tmp_path).acquire()
        with pytest.raises(StudyBusy, match="wait for it to finish, or choose another output"):
            StudyLock(tmp_path, shared=True).acquire()
    with StudyLock(tmp_path, shared=True), StudyLock(tmp_path, shared=True):  # readers share
        with pytest.raises(StudyBusy):
            StudyLock(tmp_path).acquire()  # a writer waits for no reader: it is refused
    with StudyLock(tmp_path):  # all released: a writer gets it again
        pass


def test_a_shared_lock_held_by_another_process_admits_readers_only(tmp_path: Path) -> None:
    StudyLock(tmp_path).acquire().release()  # the lock file exists (readers never create it)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from pathlib import Path
            from advgui.core.records.folder import StudyLock
            lock = StudyLock(Path({str(tmp_path)!r}), shared=True).acquire()
            print("held", flush=True)
            sys.stdin.read()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with StudyLock(tmp_path, shared=True):
            pass
        with pytest.raises(StudyBusy):
            StudyLock(tmp_path).acquire()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with StudyLock(tmp_path):  # the holder's exit released it
        pass


def test_a_reader_of_a_copied_study_without_its_lock_file_needs_no_lock(tmp_path: Path) -> None:
    with StudyLock(tmp_path, shared=True):
        assert not (tmp_path / LOCK_NAME).exists()


def test_the_lock_is_portalockers_non_blocking_lock(tmp_path: Path, monkeypatch) -> None:
    seen = []
    real = portalocker.lock
    monkeypatch.setattr(portalocker, "lock", lambda fd, flags: (seen.append(flags), real(fd, flags)))
    StudyLock(tmp_path).acquire().release()
    StudyLock(tmp_path, shared=True).acquire().release()
    flags = portalocker.LockFlags
    assert seen == [flags.EXCLUSIVE | flags.NON_BLOCKING, flags.SHARED | flags.NON_BLOCKING]


@pytest.mark.skipif(os.name == "nt", reason="Windows cannot fsync a folder")
@pytest.mark.parametrize("relative", [False, True])
def test_a_rename_is_followed_by_an_fsync_of_its_folder(tmp_path: Path, monkeypatch,
                                                        relative: bool) -> None:
    synced = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")) if os.path.exists("/proc/self/fd")
                      else fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    dir_fd = safe_write.open_folder(tmp_path) if relative else None
    try:
        safe_write.atomic_write_file(tmp_path / "a.csv", lambda fh: fh.write(b"x"), dir_fd=dir_fd)
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    assert (tmp_path / "a.csv").read_bytes() == b"x"
    assert len(synced) == 2  # the file's data, then the folder's entry
    if isinstance(synced[-1], Path):
        assert synced[-1] == tmp_path.resolve()


def test_sha256_file(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    (tmp_path / "m.onnx").write_bytes(data)
    assert sha256_file(tmp_path / "m.onnx") == hashlib.sha256(data).hexdigest()
