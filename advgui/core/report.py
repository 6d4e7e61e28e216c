"""CSV reports that a spreadsheet can open safely and a killed run cannot corrupt.

Rows are appended and flushed as they finish; a torn last line left by a kill is dropped on
resume; whole-file reports (summary, manifest) are written to a temporary file and renamed.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class OutputError(OSError):
    """The results cannot be written; the message says where, why and what to do."""


def describe_write_error(exc: OSError) -> str:
    if exc.errno in NO_SPACE:
        return "the disk is full"
    return exc.strerror or str(exc)


def check_writable(folder: Path) -> None:
    """Create the folder and prove a file can be written there, before any work starts."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".advgui-write-test"
        probe.write_bytes(b"advgui")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to the output folder {folder}: "
                          f"{describe_write_error(exc)}") from exc


def _megabytes(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 1e7 else f"{n / 1e6:,.0f} MB"


def check_free_space(folder: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise OutputError(
            f"not enough free space in {folder}: {what} need about {_megabytes(needed)}, "
            f"{_megabytes(free)} are free. Free some space or choose another output folder.")


def cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def uncell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START else value


def atomic_write_bytes(path: Path, write) -> None:
    """Call write(tmp_path), then rename over path; a failed write leaves no partial file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, lambda tmp: tmp.write_bytes(text.encode("utf-8")))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, default=str) + "\n")


def csv_text(columns: list[str], rows: Iterable[dict[str, Any]], header: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})
    return buf.getvalue()


def write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    atomic_write_text(path, csv_text(columns, rows, header=True))


class RowLog:
    """An append-only CSV whose complete rows survive any kill or failed write."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path, self.columns = path, columns
        self.rows: list[dict[str, str]] = self._recover()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if os.lseek(self._fd, 0, os.SEEK_END) == 0:
            self._write(csv_text(columns, [], header=True))

    def _recover(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        text = self.path.read_text(encoding="utf-8")
        if not text:
            return []
        lines = text.split("\n")
        complete = "\n".join(lines[:-1]) + "\n" if not text.endswith("\n") else text
        reader = csv.DictReader(io.StringIO(complete))
        if reader.fieldnames != self.columns:
            raise ValueError(f"{self.path} has other columns than this version writes; "
                             "use a new output folder")
        rows = [r for r in reader if None not in r and all(v is not None for v in r.values())]
        if complete != text or len(rows) != complete.count("\n") - 1:
            write_csv(self.path, self.columns, rows)  # drop the torn row, keep every whole one
        return rows

    def _write(self, text: str) -> None:
        """Append whole lines, or nothing: a short write (disk full) is cut back off."""
        data = text.encode("utf-8")
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)
        except OSError:
            os.ftruncate(self._fd, start)
            raise

    def append(self, rows: list[dict[str, Any]]) -> None:
        self._write(csv_text(self.columns, rows))
        self.rows.extend({k: str(v) for k, v in row.items()} for row in rows)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (nan, nan) for n = 0."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
