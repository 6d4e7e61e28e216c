"""A table as CSV text, in the one dialect every advgui CSV uses (a header, "\\n" line ends):
for files written whole through the safe-write path, whatever layer makes them."""

from __future__ import annotations

import csv
import io


def csv_text(columns: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
