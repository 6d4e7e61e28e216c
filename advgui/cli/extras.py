"""The transfer models' error and the destruction rates per tier, printed after the white-box
table by `study` and `summary`."""

from __future__ import annotations

import sys
from pathlib import Path


def read_extras_noting(out: Path):
    """transfer_summary.csv and destroy_summary.csv; a damaged one is named on stderr and left
    out, never a traceback."""
    from advgui.core.analysis.beside_table import read_extras  # noqa: PLC0415

    extras = read_extras(out)
    for note in extras.notes:
        print(f"note: {note}", file=sys.stderr)
    return extras


def print_extras(extras, tiers: tuple[str, ...] | None = None, truth: bool = True) -> None:
    """The transfer models' error and the destruction rates per tier, after the white-box
    table, as the dialog and the Markdown table show them (truth: the study has true labels)."""
    from advgui.core.analysis.extras_schema import DESTROY, TRANSFER  # noqa: PLC0415

    for kind, rows in ((TRANSFER, extras.transfer), (DESTROY, extras.destroy)):
        rows = [r for r in rows if tiers is None or r["tier"] in tiers]
        if rows:
            print(f"\n{kind.title}")
        for r in rows:
            print(f"  {r[kind.by]:<18} {r['method']:<9} {r['target']:<18} eps {r['eps']:>4} "
                  f"{r['tier']:<6} {kind.rate(r, truth)}")