"""CSV reports that a spreadsheet can open safely, that read back exactly as written, and that a
killed run, a second writer or a hand edit cannot silently corrupt.

Rows are appended whole and flushed as they finish. Reading a report keeps every row that parses
and validates and says which it dropped (a torn last line left by a kill, a row a hand edit
broke, a duplicate); only a writer that holds the study's lock rewrites the file without them.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from advgui.core.records.safe_write import (OutputError, atomic_write_text, describe_write_error,
                                    open_append)

# A cell a spreadsheet would run as a formula is stored behind an apostrophe; so is any cell that
# itself starts with one, so that reading strips exactly one and every string round-trips.
ESCAPE = "'"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE)

Validator = Callable[[dict[str, str]], "str | None"]
KeyOf = Callable[[dict[str, str]], tuple]


def cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula; numbers (also -1) stay numbers."""
    if not isinstance(value, str):
        return value
    if value.startswith(ESCAPE) or (value.startswith(FORMULA_START)
                                    and not _NUMBER.fullmatch(value)):
        return ESCAPE + value
    return value


def uncell(value: str) -> str:
    """The exact string cell() was given."""
    return value[1:] if value.startswith(ESCAPE) else value


def csv_text(columns: list[str], rows: Iterable[dict[str, Any]], header: bool = False) -> str:
    buf = io.StringIO()
    # CRLF, as RFC 4180 has it: the csv module quotes a cell holding any character of the line
    # terminator, so with CRLF a CR inside a file name is quoted too and reads back as written.
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\r\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})
    return buf.getvalue()


def write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    atomic_write_text(path, csv_text(columns, rows, header=True))


@dataclass
class CsvContents:
    """What reading a report found: its whole, valid rows and what it left out and why."""

    path: Path
    columns: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    dropped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    torn: bool = False  # the last row was cut short (a killed or full-disk write)

    @property
    def damaged(self) -> bool:
        return self.torn or bool(self.dropped)

    def describe_dropped(self) -> str:
        """One line for the user, or '' when nothing was left out."""
        parts = []
        if self.torn:
            parts.append("a last row cut short by an interrupted write")
        if self.dropped:
            shown = "; ".join(f"line {line}: {why}" for line, why in self.dropped[:3])
            more = f"; and {len(self.dropped) - 3} more" if len(self.dropped) > 3 else ""
            parts.append(f"{len(self.dropped)} broken or duplicate row"
                         f"{'s' if len(self.dropped) != 1 else ''} ({shown}{more})")
        return f"{self.path.name}: left out {' and '.join(parts)}" if parts else ""


def _records(text: str) -> Iterator[tuple[int, list[str] | None, bool, str]]:
    """(first line number, fields or None, complete, error) for each CSV record of text.

    A record ends at a line break outside quotes; CR and LF inside a quoted cell stay as written.
    """
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    consumed = 0

    def feed() -> Iterator[str]:
        nonlocal consumed
        while consumed < len(lines):
            consumed += 1
            yield lines[consumed - 1]

    reader = csv.reader(feed(), strict=True)
    while True:
        start = consumed + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, consumed < len(lines) or lines[-1].endswith("\n"), str(exc)
            continue
        yield start, record, lines[consumed - 1].endswith("\n"), ""


def read_csv(path: Path, columns: list[str], validate: Validator | None = None,
             key: KeyOf | None = None, required: Iterable[str] | None = None) -> CsvContents:
    """Parse a report without changing it. ``required`` accepts a header that has at least those
    columns (an older study, read only); otherwise the header must be ``columns`` exactly."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block the reader for ever
        raise ValueError(f"{path} is not a regular file (a FIFO, device or folder)")
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    out = CsvContents(path, list(columns))
    if not text:
        return out
    records = _records(text)
    first = next(records, None)
    header = first[1] if first else None
    # Columns are only ever appended (records.schema): a header that is a shorter start of
    # ``columns`` is an older release's file, read with empty cells for the newer columns.
    older = required is None and header is not None and \
        0 < len(header) < len(columns) and header == list(columns)[:len(header)]
    if header is None or (required is None and header != list(columns) and not older) or (
            required is not None and not set(required) <= set(header)):
        raise ValueError(f"{path} is not a report this version of advgui wrote (its first line "
                         "names other columns); use a new output folder")
    out.columns = header
    missing = dict.fromkeys(list(columns)[len(header):], "") if older else {}
    seen: dict[tuple, int] = {}
    for line, record, complete, error in records:
        if not complete:
            out.torn = True
            continue
        if record is None:
            out.dropped.append((line, f"unreadable CSV ({error})"))
            continue
        if len(record) != len(header):
            out.dropped.append((line, f"{len(record)} cells, expected {len(header)}"))
            continue
        row = {**{k: uncell(v) for k, v in zip(header, record)}, **missing}
        why = validate(row) if validate else None
        if why:
            out.dropped.append((line, why))
            continue
        if key is not None:
            k = key(row)
            if k in seen:
                out.dropped.append((line, f"duplicate of line {seen[k]}"))
                continue
            seen[k] = line
        out.rows.append(row)
    return out


class RowLog:
    """An append-only CSV whose complete rows survive any kill or failed write.

    Open it only while holding the study folder's lock: opening repairs the file (rewrites it
    without the rows reading left out) and ``repaired`` says what was dropped.
    """

    def __init__(self, path: Path, columns: list[str], validate: Validator | None = None,
                 key: KeyOf | None = None) -> None:
        self.path, self.columns = path, columns
        self.repaired = ""
        contents = read_csv(path, columns, validate, key) if path.exists() else None
        self.rows: list[dict[str, str]] = contents.rows if contents else []
        if contents is not None and contents.damaged:
            self.repaired = contents.describe_dropped()
            write_csv(path, columns, self.rows)
        elif contents is not None and contents.columns != list(columns):
            write_csv(path, columns, self.rows)  # an older file: its rows get the new columns
        try:
            self._fd = open_append(path)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {describe_write_error(exc)}") from exc
        if os.lseek(self._fd, 0, os.SEEK_END) == 0:
            self._write(csv_text(columns, [], header=True))

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

