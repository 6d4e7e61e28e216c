"""One table per study with the white-box error, each transfer model's error and each
transformation's destruction rate side by side, keyed by tier, method, target and eps.

The three come from their own summaries (summary.csv, transfer_summary.csv,
destroy_summary.csv), which keep their own schemas so that every older study still reads; this
table only joins them, so a reader answering "does what fools InceptionV3 also fool
EfficientNet, and does it survive JPEG?" needs no spreadsheet.
"""

from __future__ import annotations

import math
from pathlib import Path

from advgui.core.report import read_csv
from advgui.core.scoring import _method_order, format_rate
from advgui.core.tiers import Tier

TIER_ORDER = [t.value for t in Tier] + ["all"]


def _key(row: dict) -> tuple[str, str, str, str]:
    return (row["tier"], row["method"], row["target"], row["eps"])


def _sort_key(key: tuple[str, str, str, str]):
    tier, method, target, eps = key
    return (float(eps), target, _method_order(method), TIER_ORDER.index(tier)
            if tier in TIER_ORDER else len(TIER_ORDER))


def _read(path: Path, columns: list[str]) -> list[dict]:
    return read_csv(path, columns).rows if path.is_file() else []


def destruction_cell(row: dict) -> str:
    """'67 % [49, 81] 12/18': Kurakin's d with its interval and the counts it is made of."""
    d = float(row["destruction_rate"])
    if math.isnan(d):
        return f"— 0/{row['counted']}"
    return (f"{100 * d:.0f} % [{100 * float(row['destruction_rate_lo']):.0f}, "
            f"{100 * float(row['destruction_rate_hi']):.0f}] {row['destroyed']}/{row['counted']}")


def beside_rows(white_box: list[dict], out: Path) -> tuple[list[str], list[str], list[dict]]:
    """(transfer models, transforms, rows): one row per summary key, with a cell per transfer
    model ('→ NAME') and per transformation ('TRANSFORM d'), blank where a study has none."""
    from advgui.core.destroy import SUMMARY_COLUMNS as DESTROY_COLUMNS  # noqa: PLC0415
    from advgui.core.transfer import SUMMARY_COLUMNS as TRANSFER_COLUMNS  # noqa: PLC0415

    transfer = _read(out / "transfer_summary.csv", TRANSFER_COLUMNS)
    destroy = _read(out / "destroy_summary.csv", DESTROY_COLUMNS)
    models = sorted({r["model"] for r in transfer})
    transforms = sorted({r["transform"] for r in destroy})
    by_transfer = {(r["model"],) + _key(r): r for r in transfer}
    by_destroy = {(r["transform"],) + _key(r): r for r in destroy}
    use_truth = any(int(r["top1_error_truth_n"]) for r in white_box)
    k1 = "top1_error_truth" if use_truth else "top1_error_clean"
    rows = []
    for r in sorted(white_box, key=lambda r: _sort_key(_key(r))):
        row = {"tier": r["tier"], "method": r["method"], "target": r["target"], "eps": r["eps"],
               "images": r["images"], "white-box top-1": format_rate(r, k1)}
        for m in models:
            t = by_transfer.get((m,) + _key(r))
            row[f"→ {m} top-1"] = format_rate(t, "top1_error_truth") if t else ""
        for name in transforms:
            d = by_destroy.get((name,) + _key(r))
            row[f"{name} d"] = destruction_cell(d) if d else ""
        rows.append(row)
    return models, transforms, rows


def format_beside_markdown(rows: list[dict], tiers: tuple[str, ...] = tuple(TIER_ORDER)) -> str:
    """The joined table as Markdown, one line per key whose tier is in tiers."""
    shown = [r for r in rows if r["tier"] in tiers]
    if not shown:
        return ""
    columns = list(shown[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in shown]
    return "\n".join(lines)
