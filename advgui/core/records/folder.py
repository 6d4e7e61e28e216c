"""A study folder: one study, one writer at a time, recognisable so it is never read as input.

This module is the one place that answers "is this folder ours?": it writes and reads the marks
(the lock file, study.json's "advgui_study" key, manifest.json's "advgui" key) that say so.

The lock is an OS lock (portalocker: fcntl.flock on Linux and macOS, LockFileEx on Windows, both
with real shared locks) on a file that is never deleted, so it is released by the kernel however
the holder ends (Ctrl-C, kill -9, a crash) and two processes can never both believe they hold it.
The file also records who holds it, for the refusal message.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import portalocker

from advgui.core.records.safe_write import (NOFOLLOW, OutputError, atomic_write_json, check_own_file,
                                           describe_write_error)

LOCK_NAME = ".advgui-study.lock"
DEFINITION_NAME = "study.json"


class StudyBusy(OutputError):
    """Another process holds the study folder's lock."""


def is_study_folder(folder: Path) -> bool:
    """True for a folder an advgui study wrote (its lock file or its definition is there)."""
    try:
        return (folder / LOCK_NAME).exists() or "advgui_study" in _read_json(folder / DEFINITION_NAME) \
            or "advgui" in _read_json(folder / "manifest.json")
    except OSError:
        return False


def study_folder_holding(path: Path) -> Path | None:
    """The study folder that path is (or lies inside), following links, else None."""
    for folder in (path.resolve(), *path.resolve().parents):
        if is_study_folder(folder):
            return folder
    return None


def _read_json(path: Path) -> dict:
    """A JSON object file's contents, or {} (missing, damaged, or not an object: a user's own
    study.json or web-app manifest.json is not ours)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_definition(folder: Path) -> dict | None:
    """study.json as the study wrote it ({"advgui_study", "id", "definition", "note"}), or None."""
    data = _read_json(folder / DEFINITION_NAME)
    return data if isinstance(data.get("definition"), dict) else None


def write_definition(folder: Path, study_id: str, definition: dict, note: str) -> None:
    """study.json: what defines the study in folder, marked as advgui's."""
    atomic_write_json(folder / DEFINITION_NAME, {"advgui_study": 1, "id": study_id,
                                                 "definition": definition, "note": note})


def check_out_folder(folder: Path) -> None:
    """Refuse an output folder that holds other things than an earlier study."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder; choose an empty folder or an "
                          "earlier study")
    if not folder.is_dir() or is_study_folder(folder):
        return
    # Not a study: anything in it is someone else's, even a file named like ours (summary.csv).
    others = sorted(p.name for p in folder.iterdir())
    if others:
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        raise OutputError(f"{folder} holds other files ({shown}); choose an empty folder or an "
                          "earlier study")


class StudyLock:
    """Non-blocking lock on a study folder, held until release() or process exit: exclusive for
    a run that writes it; shared (``shared=True``) for runs that only read it, such as N shards
    reading one classify-only study's clean.csv at the same time."""

    def __init__(self, folder: Path, shared: bool = False) -> None:
        self.folder = folder
        self.path = folder / LOCK_NAME
        self.shared = shared
        self._fd = -1

    def acquire(self) -> "StudyLock":
        flags = (os.O_RDONLY if self.shared else os.O_RDWR | os.O_CREAT) | NOFOLLOW
        try:
            self._fd = check_own_file(os.open(self.path, flags, 0o644), self.path)
        except FileNotFoundError:
            if self.shared:  # a copied study without its lock file: no writer can hold it
                return self
            raise OutputError(f"cannot lock the study folder {self.folder}: it does not exist")
        except OutputError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot lock the study folder {self.folder}: "
                              f"{describe_write_error(exc)}") from exc
        try:
            portalocker.lock(self._fd, (portalocker.LockFlags.SHARED if self.shared else
                                        portalocker.LockFlags.EXCLUSIVE)
                             | portalocker.LockFlags.NON_BLOCKING)
        except (portalocker.exceptions.LockException, OSError):
            holder = self._holder()
            os.close(self._fd)
            self._fd = -1
            raise StudyBusy(f"{self.folder} is in use by another advgui run ({holder}); wait "
                            "for it to finish, or choose another output folder") from None
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                "command": " ".join(sys.argv)[:300]}
        if self.shared:  # readers say nothing: the holder named in the file is the writer
            return self
        os.ftruncate(self._fd, 0)
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, (json.dumps(info) + "\n").encode())
        return self

    def _holder(self) -> str:
        try:
            os.lseek(self._fd, 0, os.SEEK_SET)
            info = json.loads(os.read(self._fd, 4096).decode() or "{}")
            return (f"process {info['pid']} on {info['host']}, since {info['started']}: "
                    f"{info['command']}")
        except (OSError, ValueError, KeyError):
            return "a process that has not said who it is yet"

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor releases the OS lock
            self._fd = -1

    def __enter__(self) -> "StudyLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()



def folders_to_create(out: Path) -> list[Path]:
    """The folders that making ``out`` will create (out first, then its missing parents): what
    a refused run may remove again, and nothing that existed before it."""
    missing = []
    for folder in (out, *out.parents):
        if folder.exists() or folder.is_symlink():
            break
        missing.append(folder)
    return missing


def remove_created(created: list[Path]) -> None:
    """Remove the folders a refused run created (from folders_to_create, taken before it wrote
    anything), so the refusal leaves the disk as it was. The output folder goes with what the
    run wrote into it while it held the lock; its parents only while empty. Best effort: a
    folder that cannot be removed stays, and the refusal's own message is what the user sees."""
    import shutil  # noqa: PLC0415 (only a refusal needs it)

    for i, folder in enumerate(created):
        try:
            if i == 0:
                shutil.rmtree(folder)
            else:
                folder.rmdir()
        except OSError:
            return
