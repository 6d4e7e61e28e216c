"""Writing files so that nothing outside the intended folder is touched and no half file is left.

Every temporary file is created exclusively under a fresh random name (O_CREAT | O_EXCL, and
O_NOFOLLOW where the OS has it), then renamed over its destination: a symbolic link planted in
a study folder (``.manifest.json.tmp -> ~/important``) is never opened for writing, and a
destination that is a link is replaced by the file rather than written through.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Callable

NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
BINARY = getattr(os, "O_BINARY", 0)


class OutputError(OSError):
    """The results cannot be written; the message says where, why and what to do."""


def describe_write_error(exc: OSError) -> str:
    if exc.errno in NO_SPACE:
        return "the disk is full"
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link (advgui never writes through one)"
    return exc.strerror or str(exc)


def open_exclusive(path: Path) -> int:
    """A new file that did not exist before, never through a link; returns its descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | BINARY, 0o644)


def open_append(path: Path) -> int:
    """An append-only descriptor for path, refusing a symbolic link in its place."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | NOFOLLOW | BINARY, 0o644)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def atomic_write_file(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call write(file object) on a fresh temporary file, then rename it over path."""
    tmp = _temporary(path)
    fd = open_exclusive(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_file(path, lambda fh: fh.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, default=str) + "\n")


def check_writable(folder: Path) -> None:
    """Create the folder and prove a file can be written there, before any work starts."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = _temporary(folder / "write-test")
        os.close(open_exclusive(probe))
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to the output folder {folder}: "
                          f"{describe_write_error(exc)}") from exc


def real_subfolder(folder: Path, name: str) -> Path:
    """folder/name as a real directory (created if missing); a link there is refused."""
    sub = folder / name
    if sub.is_symlink() or (sub.exists() and not sub.is_dir()):
        raise OutputError(f"{sub} is not a plain folder (a link or a file); advgui writes only "
                          "inside the output folder. Remove it or choose another output folder.")
    sub.mkdir(exist_ok=True)
    return sub


def refuse_links(folder: Path, names: tuple[str, ...]) -> None:
    """Refuse to work in a folder where a file advgui reads and appends to is a link."""
    for name in names:
        if (folder / name).is_symlink():
            raise OutputError(f"{folder / name} is a symbolic link; advgui never reads or writes "
                              "a study's rows through one. Remove it or choose another output "
                              "folder.")


def _megabytes(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 1e7 else f"{n / 1e6:,.0f} MB"


def check_free_space(folder: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise OutputError(
            f"not enough free space in {folder}: {what} need about {_megabytes(needed)}, "
            f"{_megabytes(free)} are free. Free some space or choose another output folder.")
