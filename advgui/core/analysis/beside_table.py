"""One table per study with the white-box error, each transfer model's error and each
transformation's destruction rate side by side, keyed by tier, method, target and eps.

The three come from their own summaries (summary.csv, transfer_summary.csv,
destroy_summary.csv), which keep their own schemas so that every older study still reads; this
table only joins them, so a reader answering "does what fools InceptionV3 also fool
EfficientNet, and does it survive JPEG?" needs no spreadsheet. A summary file that is damaged
(hand-edited, cut short) is read as far as it is sound and named in a note, never a traceback:
the next run of the study rewrites it from its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from advgui.core.analysis.extras_schema import DESTROY, TRANSFER
from advgui.core.analysis.summary import uses_truth
from advgui.core.analysis.tables import format_rate, method_order
from advgui.core.records.schema import eps_key
from advgui.core.tiers import Tier

TIER_ORDER = [t.value for t in Tier] + ["all"]


@dataclass
class Extras:
    """transfer_summary.csv and destroy_summary.csv as read, with what could not be."""
    transfer: list[dict] = field(default_factory=list)
    destroy: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_extras(out: Path) -> Extras:
    extras = Extras()
    extras.transfer = TRANSFER.read_summary(out, extras.notes)
    extras.destroy = DESTROY.read_summary(out, extras.notes)
    return extras


def _key(row: dict) -> tuple[str, str, str, float]:
    return (row["tier"], row["method"], row["target"], eps_key(row["eps"]))


def _sort_key(key: tuple[str, str, str, float]):
    tier, method, target, eps = key
    return (eps, target, method_order(method), TIER_ORDER.index(tier)
            if tier in TIER_ORDER else len(TIER_ORDER))


def destruction_cell(row: dict) -> str:
    """A destruction rate as every table shows it (DESTROY.rate; d is counted the same way
    with or without true labels)."""
    return DESTROY.rate(row, True)


def beside_rows(white_box: list[dict], extras: Extras) -> tuple[list[str], list[str], list[dict]]:
    """(transfer models, transforms, rows): one row per summary key, with a cell per transfer
    model and per transformation, blank where a study has none. Without true labels the error
    of every model is counted against its own clean prediction (how often its top-1 changed)."""
    models = sorted({r["model"] for r in extras.transfer})
    transforms = sorted({r["transform"] for r in extras.destroy})
    by_transfer = {(r["model"],) + _key(r): r for r in extras.transfer}
    by_destroy = {(r["transform"],) + _key(r): r for r in extras.destroy}
    truth = uses_truth(white_box)
    k1 = "top1_error_truth" if truth else "top1_error_clean"
    head = "top-1" if truth else "top-1 changed"
    rows = []
    for r in sorted(white_box, key=lambda r: _sort_key(_key(r))):
        row = {"tier": r["tier"], "method": r["method"], "target": r["target"], "eps": r["eps"],
               "images": r["images"], f"white-box {head}": format_rate(r, k1)}
        for m in models:
            t = by_transfer.get((m,) + _key(r))
            row[TRANSFER.heading(m, truth, short=True)] = TRANSFER.rate(t, truth) if t else ""
        for name in transforms:
            d = by_destroy.get((name,) + _key(r))
            row[DESTROY.heading(name, truth, short=True)] = DESTROY.rate(d, truth) if d else ""
        rows.append(row)
    return models, transforms, rows


def _cell(text) -> str:
    return str(text).replace("|", "\\|")  # a '|' in a model's file name must not split a cell


def format_beside_markdown(rows: list[dict], tiers: tuple[str, ...] = tuple(TIER_ORDER)) -> str:
    """The joined table as Markdown, one line per key whose tier is in tiers."""
    shown = [r for r in rows if r["tier"] in tiers]
    if not shown:
        return f"(no rows in the tier{'s' if len(tiers) > 1 else ''} {', '.join(tiers)})"
    columns = list(shown[0])
    lines = ["| " + " | ".join(map(_cell, columns)) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r[c]) for c in columns) + " |" for r in shown]
    return "\n".join(lines)


def beside_heading(truth: bool) -> str:
    if truth:
        return ("White-box, transfer and destruction side by side (top-1 error vs truth among "
                "the images each model got right when clean; Wilson 95 % intervals; d as "
                "Kurakin et al. define it):")
    return ("White-box, transfer and destruction side by side (no true labels: how often each "
            "model's top-1 changed from its own clean prediction; Wilson 95 % intervals; d "
            "counts against the clean prediction):")
