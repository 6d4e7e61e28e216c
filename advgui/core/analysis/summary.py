"""The per-tier summary of a study's images.csv rows, in the seed's layout.

Denominators, as in the seed: top-1 error (vs truth) counts images whose clean top-1 was the
true label; top-5 error (vs truth) counts images whose true label was in the clean top-5. The
"vs clean" rates count every attacked image: top-1 changed, or the clean top-1 left the top-5.
All rates use the 8-bit rounded adversarial image.
"""

from __future__ import annotations

from collections import defaultdict

from advgui.core.analysis.stats import wilson
from advgui.core.tiers import Tier


def _rate(flags: list[int]) -> tuple[int, float, float, float]:
    n, k = len(flags), sum(flags)
    lo, hi = wilson(k, n)
    return n, (k / n if n else float("nan")), lo, hi


def rows_by_attack(rows: list[dict]) -> dict[tuple[str, str, float], list[dict]]:
    """The rows of each (method, target, eps), in their order: one pass over a study's rows
    (150,000 at 3,000 images and 48 attacks) instead of one per attack and tier."""
    groups: dict[tuple[str, str, float], list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["method"], r["target"], float(r["eps"])].append(r)
    return groups


def summary_rows(rows: list[dict]) -> list[dict]:
    out = []
    attacks = rows_by_attack(rows)
    for method, target, eps in sorted(attacks):
        scored = [r for r in attacks[method, target, eps] if r["status"] == "ok"]
        for tier in [t.value for t in Tier] + ["all"]:
            sel = [r for r in scored if tier == "all" or r["tier"] == tier]
            if not sel:
                continue
            t1 = [int(r["top1_error_truth"]) for r in sel
                  if r["top1_error_truth"] != "" and int(r["clean_top1"]) == int(r["truth"])]
            t5 = [int(r["top5_error_truth"]) for r in sel
                  if r["top5_error_truth"] != "" and r["truth_in_clean_top5"] == "1"]
            c1 = [int(r["top1_error_clean"]) for r in sel]
            c5 = [int(r["top5_error_clean"]) for r in sel]
            row = {"tier": tier, "method": method, "target": target, "eps": f"{eps:g}",
                   "images": len(sel)}
            for name, flags in (("top1_error_truth", t1), ("top5_error_truth", t5),
                                ("top1_error_clean", c1), ("top5_error_clean", c5)):
                n, p, lo, hi = _rate(flags)
                if name.endswith("truth"):
                    row[name + "_n"] = n
                row.update({name: f"{p:.4f}", name + "_lo": f"{lo:.4f}", name + "_hi": f"{hi:.4f}"})
            out.append(row)
    return out


def uses_truth(summary: list[dict]) -> bool:
    """Whether any summary row was scored against true labels (else: against the clean top-1)."""
    return any(int(float(r["top1_error_truth_n"] or 0)) for r in summary)

