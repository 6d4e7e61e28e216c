"""The transfer models' error and the destruction rates per tier, printed after the white-box
table by `study` and `summary`."""

from __future__ import annotations

import math
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


def print_extras(extras, tiers: tuple[str, ...] | None = None) -> None:
    """The transfer models' error and the destruction rates per tier, after the white-box
    table."""
    transfer = [r for r in extras.transfer if tiers is None or r["tier"] in tiers]
    destroy = [r for r in extras.destroy if tiers is None or r["tier"] in tiers]

    def pct(r, k):
        return "  n/a" if math.isnan(float(r[k])) else f"{100 * float(r[k]):5.1f}%"

    if transfer:
        print("\nTransfer (the same 8-bit adversarials, scored by other models; top-1 error vs "
              "truth among images each got right when clean, and how often its own top-1 "
              "changed):")
    for r in transfer:
        print(f"  {r['model']:<18} {r['method']:<9} {r['target']:<18} eps {r['eps']:>4} "
              f"{r['tier']:<6} n={r['images']:<5} top-1 error {pct(r, 'top1_error_truth')} "
              f"[{pct(r, 'top1_error_truth_lo')}, {pct(r, 'top1_error_truth_hi')}]  changed "
              f"{pct(r, 'top1_changed')}")
    if destroy:
        print("\nDestruction rate (Kurakin et al. 2016: of the images right when clean and wrong "
              "when attacked, the share a transformation makes right again):")
    for r in destroy:
        rate = "  n/a" if math.isnan(float(r["destruction_rate"])) else (
            f"{100 * float(r['destruction_rate']):5.1f}% [{100 * float(r['destruction_rate_lo']):.1f},"
            f" {100 * float(r['destruction_rate_hi']):.1f}]")
        print(f"  {r['transform']:<15} {r['method']:<9} {r['target']:<18} eps {r['eps']:>4} "
              f"{r['tier']:<6} {r['destroyed']}/{r['counted']}: {rate}")
