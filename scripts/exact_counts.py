"""The exact counts behind the published results, and the record's checks of itself (a tier's
sum, the flips two CSVs count). Apart from the page (render_results.py), which only formats what
these return; results_record.py reads the same counts for docs/results.md.

The summaries hold a rate to 4 decimals beside its denominator. Printing from that rounded text
rounds twice (Wilson's lower end of 8/26 is 16.501 %, stored as 0.1650 and printed 16 as a
whole percent, where the exact value gives 17), so each rate is taken back to its integer
count: the one numerator k in 0..n whose k/n the study wrote as that 4-decimal text (or the
count the CSV itself holds: destroyed, flipped). The rate and its Wilson interval
are then recomputed from k and n (analysis.stats.wilson) and the CSV's interval must agree to
its 4 decimals; a record that does not is refused loudly (RecordMismatch), never rendered.

CSV and JSON only; imported by render_results.py, which puts the repository on the path first.
"""

from __future__ import annotations

from pathlib import Path

import fragility_ties

from advgui.core.analysis.beside_table import Extras, read_extras
from advgui.core.analysis.fragility import CORRELATION_COLUMNS, FRAGILITY_COLUMNS
from advgui.core.analysis.stats import wilson
from advgui.core.records.row_log import read_csv
from advgui.core.records.schema import SUMMARY_COLUMNS


class RecordMismatch(ValueError):
    """A summary whose rate or interval is not what its own counts give."""


def _where(folder: str, csv_name: str, row: dict) -> str:
    key = ", ".join(f"{k}={row[k]}" for k in ("model", "transform", "tier", "method", "target",
                                             "eps", "group", "bin") if k in row)
    return f"{folder}/{csv_name} ({key})"


def numerator(rate: str, n: int, where: str) -> int:
    """The one count k in 0..n whose k/n the study wrote as ``rate`` (f'{k / n:.4f}')."""
    if n == 0:
        if rate.strip().lower() != "nan":
            raise RecordMismatch(f"{where}: rate {rate!r} over a denominator of 0")
        return 0
    centre = round(float(rate) * n) if rate.strip().lower() != "nan" else -1
    found = [k for k in range(max(0, centre - 2), min(n, centre + 2) + 1) if f"{k / n:.4f}" == rate]
    if len(found) != 1:
        raise RecordMismatch(f"{where}: rate {rate!r} is no count out of n={n} "
                             f"({'several fit' if found else 'none fits'} to 4 decimals)")
    return found[0]


def exact_rate(row: dict, key: str, n: int, where: str, k: int | None = None) -> dict:
    """row with key, key_lo, key_hi recomputed from the integer count (floats, not 4-decimal
    text), after checking that the CSV's text is what those counts give to its 4 decimals."""
    if k is None:
        k = numerator(row[key], n, where)
    rate = k / n if n else float("nan")
    if (f"{rate:.4f}" if n else "nan") != row[key].strip().lower():
        raise RecordMismatch(f"{where}: {key} is {row[key]!r}, but {k}/{n} is {rate:.4f}")
    lo, hi = wilson(k, n)
    for name, value in ((key + "_lo", lo), (key + "_hi", hi)):
        if name in row and f"{value:.4f}" != row[name]:
            raise RecordMismatch(f"{where}: {name} is {row[name]!r}, but Wilson's interval of "
                                 f"{k}/{n} gives {value:.4f}")
    return {**row, key: rate, key + "_lo": lo, key + "_hi": hi}


def _read(folder: Path, name: str, columns: list[str]) -> list[dict]:
    contents = read_csv(folder / name, columns)
    if contents.damaged:
        raise RecordMismatch(f"{folder.name}/{contents.describe_dropped()}")
    return contents.rows


def exact_summary(folder: Path) -> list[dict]:
    """summary.csv with every rate and interval recomputed from its counts."""
    out = []
    for row in _read(folder, "summary.csv", SUMMARY_COLUMNS):
        where = _where(folder.name, "summary.csv", row)
        images = int(row["images"])
        for key in ("top1_error_truth", "top5_error_truth"):
            row = exact_rate(row, key, int(row[key + "_n"]), where)
        for key in ("top1_error_clean", "top5_error_clean"):
            row = exact_rate(row, key, images, where)
        out.append(row)
    return out


def exact_extras(folder: Path) -> Extras:
    """transfer_summary.csv and destroy_summary.csv, their rates recomputed from their counts."""
    extras = read_extras(folder)
    if extras.notes:
        raise RecordMismatch(f"{folder.name}: " + "; ".join(extras.notes))
    transfer = []
    for row in extras.transfer:
        where = _where(folder.name, "transfer_summary.csv", row)
        for key in ("top1_error_truth", "top5_error_truth"):
            row = exact_rate(row, key, int(row[key + "_n"]), where)
        transfer.append(exact_rate(row, "top1_changed", int(row["images"]), where))
    destroy = []
    for row in extras.destroy:
        where = _where(folder.name, "destroy_summary.csv", row)
        row = exact_rate(row, "destruction_rate", int(row["counted"]), where,
                         k=int(row["destroyed"]))
        numerator(row["clean_t_accuracy"], int(row["images"]), where + " clean_t_accuracy")
        destroy.append(row)
    return Extras(transfer, destroy)


def exact_fragility(folder: Path) -> tuple[list[dict], list[dict]]:
    """(fragility.csv rows with exact flip rates, fragility_correlation.csv rows); empty when
    the study wrote none."""
    if not (folder / "fragility_correlation.csv").is_file():
        return [], []
    bins = []
    if (folder / "fragility.csv").is_file():
        for row in _read(folder, "fragility.csv", FRAGILITY_COLUMNS):
            where = _where(folder.name, "fragility.csv", row)
            bins.append(exact_rate(row, "flip_rate", int(row["images"]), where,
                                   k=int(row["flipped"])))
    return bins, fragility_ties.with_ties(
        folder, _read(folder, "fragility_correlation.csv", CORRELATION_COLUMNS))


def tier_sums(summary: list[dict]) -> list[str]:
    """Where a row 'all' is not the sum of its tiers' rows (images and counts): a note each."""
    notes = []
    for r in (r for r in summary if r["tier"] == "all"):
        parts = [p for p in summary if p["tier"] != "all" and
                 (p["method"], p["target"], p["eps"]) == (r["method"], r["target"], r["eps"])]
        for what, count in (("images", lambda x: int(x["images"])),
                            ("top-1 n (vs truth)", lambda x: int(x["top1_error_truth_n"]))):
            if sum(map(count, parts)) != count(r):
                notes.append(f"{r['method']} {r['target']} eps {r['eps']}: {what} of 'all' is "
                             f"{count(r)}, its tiers sum to {sum(map(count, parts))}")
    return notes


def flips_agree(summary: list[dict], bins: list[dict]) -> list[str]:
    """Where fragility.csv's per-tier flips are not summary.csv's top-1 changes: a note each."""
    notes = []
    for b in (b for b in bins if b["group"] == "tier"):
        row = next((r for r in summary if (r["method"], r["target"], r["eps"], r["tier"])
                    == (b["method"], b["target"], b["eps"], b["bin"])), None)
        if row is None:
            notes.append(f"fragility.csv has {b['method']} {b['target']} eps {b['eps']} tier "
                         f"{b['bin']}, summary.csv does not")
            continue
        changed = round(row["top1_error_clean"] * int(row["images"]))
        if (int(row["images"]), changed) != (int(b["images"]), int(b["flipped"])):
            notes.append(f"{b['method']} {b['target']} eps {b['eps']} {b['bin']}: summary.csv "
                         f"{changed}/{row['images']} top-1 changed, fragility.csv "
                         f"{b['flipped']}/{b['images']} flipped")
    return notes
