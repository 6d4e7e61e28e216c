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
import re
import secrets
import shutil
import stat
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


def failed_file(exc: OSError, folder: Path) -> Path:
    """The file a failed write was for: a rename's destination (its source is a temporary
    name), else the file the error names (a temporary's own name mapped back), else folder."""
    name = getattr(exc, "filename2", None) or exc.filename
    if not name:
        return folder
    path = Path(os.fsdecode(name))
    temporary = _TEMPORARY.fullmatch(path.name)
    return path.with_name(temporary.group(1)) if temporary else path


def open_exclusive(path: Path) -> int:
    """A new file that did not exist before, never through a link; returns its descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | BINARY, 0o644)


def open_append(path: Path) -> int:
    """An append-only descriptor for path, refusing a symbolic link in its place."""
    return check_own_file(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | NOFOLLOW | BINARY,
                                  0o644), path)


def not_own_file(fd: int, outside: str) -> str:
    """Why the open file fd is not a folder's own: not a plain file, or a hard link (another
    name, perhaps ``outside`` the folder); "" when it is."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file (a FIFO, device or folder)"
    if info.st_nlink > 1:
        return f"it has another name too (a hard link), so {outside}"
    return ""


def check_own_file(fd: int, path: Path) -> int:
    """The descriptor, if it is a plain file with no other name: a hard link planted in a study
    folder would make appends land in a file outside it, a FIFO would hang or fail."""
    why = not_own_file(fd, "writing it would change a file outside the study folder")
    if why:
        os.close(fd)
        raise OutputError(f"{path}: {why}; advgui refuses to write it. Remove it or choose "
                          "another output folder.")
    return fd


_TEMPORARY = re.compile(r"\.(.+)\.\d+-[0-9a-f]{8}\.tmp")  # group 1: the file it becomes


def sweep_temporaries(folder: Path) -> int:
    """Remove the temporary files a killed writer left in folder (call only while holding the
    folder's lock, so that no writer of ours is using one). Returns how many."""
    removed = 0
    for entry in os.scandir(folder):
        if _TEMPORARY.fullmatch(entry.name) and not entry.is_dir(follow_symlinks=False):
            os.unlink(entry.path)
            removed += 1
    return removed


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def atomic_write_file(path: Path, write: Callable[[BinaryIO], None],
                      dir_fd: int | None = None) -> None:
    """Call write(file object) on a fresh temporary file, then rename it over path.

    With ``dir_fd`` (a folder opened by open_folder) only path's name is used, relative to that
    folder: swapping the folder for a link while a study runs cannot redirect the write."""
    tmp = _temporary(path)
    names = (tmp.name, path.name) if dir_fd is not None else (tmp, path)
    fd = os.open(names[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | BINARY, 0o644,
                 dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(names[0], names[1], src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(names[0], dir_fd=dir_fd)
        except OSError:
            pass
        raise
    sync_folder(path.parent, dir_fd)


# Errors of a folder's fsync that mean "this file system cannot", not "the disk failed".
_NO_FOLDER_SYNC = (errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EACCES)


def sync_folder(folder: Path, dir_fd: int | None = None) -> None:
    """Flush the folder's entries: the rename that put a file in place reaches the disk with
    the file's data, so a power cut cannot bring back the old file (or none) after a report
    said the new one was written."""
    if os.name == "nt":  # pragma: no cover - Windows cannot open a folder; NTFS journals renames
        return
    try:
        if dir_fd is not None:
            os.fsync(dir_fd)
            return
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        if exc.errno not in _NO_FOLDER_SYNC:
            raise


def open_folder(folder: Path) -> int | None:
    """A descriptor of folder for atomic_write_file(dir_fd=...), never through a link (None
    where the OS cannot write relative to a folder descriptor)."""
    if os.open not in os.supports_dir_fd or not hasattr(os, "O_DIRECTORY"):
        return None
    return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_file(path, lambda fh: fh.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, default=str) + "\n")


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
