"""CSV reports that a spreadsheet can open safely and a killed run cannot corrupt.

Rows are appended and flushed as they finish; a torn last line left by a kill is dropped on
resume; whole-file reports (summary, manifest) are written to a temporary file and renamed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def uncell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START else value


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, default=str) + "\n")


def write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})
    atomic_write_text(path, buf.getvalue())


class RowLog:
    """An append-only CSV whose complete rows survive any kill."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path, self.columns = path, columns
        self.rows: list[dict[str, str]] = self._recover()
        self._fh = open(path, "a", encoding="utf-8", newline="")
        self._writer = csv.DictWriter(self._fh, columns, extrasaction="ignore", lineterminator="\n")
        if not self.rows and self._fh.tell() == 0:
            self._writer.writeheader()
            self._fh.flush()

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

    def append(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._writer.writerow({k: cell(v) for k, v in row.items()})
            self.rows.append({k: str(v) for k, v in row.items()})
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (nan, nan) for n = 0."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
