"""Queries-to-flip of a query-based attack (Square Attack), per attack and tier: how many model
queries an image took until its top-1 changed, read from images.csv's ``queries_to_flip``.

A cell "inf" is an image whose top-1 never changed within the budget: it counts in the flip rate,
never in the median or mean over flipped images (the paper's "average queries" is over successes),
and the median over all images says ">budget" when most were never flipped. Rows without the
column (older studies, the gradient attacks) are not counted.
"""

from __future__ import annotations

import math

import numpy as np

from advgui.core.analysis.stats import wilson
from advgui.core.analysis.summary import rows_by_attack
from advgui.core.tiers import Tier

QUERIES_COLUMNS = ["method", "target", "eps", "tier", "images", "flipped", "flip_rate",
                   "flip_rate_lo", "flip_rate_hi", "median_queries_flipped",
                   "mean_queries_flipped", "median_queries_all"]


def _queries(row: dict) -> float | None:
    value = row.get("queries_to_flip", "")
    if value == "":
        return None
    return float(value)


def queries_rows(rows: list[dict]) -> list[dict]:
    """One row per attack with queries and tier (and "all"), in attack order."""
    ok = [r for r in rows if r.get("status") == "ok" and _queries(r) is not None]
    out = []
    for (method, target, eps), sel in sorted(rows_by_attack(ok).items()):
        groups = [(t.value, [r for r in sel if r["tier"] == t.value]) for t in Tier]
        for tier, group in [*groups, ("all", sel)]:
            if not group:
                continue
            q = np.asarray([_queries(r) for r in group])
            done = q[np.isfinite(q)]
            lo, hi = wilson(len(done), len(q))
            median_all = float(np.median(q))
            out.append({
                "method": method, "target": target, "eps": f"{eps:g}", "tier": tier,
                "images": len(q), "flipped": len(done), "flip_rate": f"{len(done) / len(q):.4f}",
                "flip_rate_lo": f"{lo:.4f}", "flip_rate_hi": f"{hi:.4f}",
                "median_queries_flipped": f"{np.median(done):g}" if len(done) else "",
                "mean_queries_flipped": f"{np.mean(done):.1f}" if len(done) else "",
                "median_queries_all": "never" if math.isinf(median_all) else f"{median_all:g}"})
    return out


def format_queries(rows: list[dict]) -> str:
    """The text block of the summary, or "" when no row has queries."""
    if not rows:
        return ""
    lines = ["\nQueries to flip (query-based attacks: model queries until the top-1 changed; "
             "median and mean over the flipped images)"]
    for r in rows:
        lines.append(f"  {r['method']:<8}{r['target']:<20}eps {r['eps']:>4}  {r['tier']:<7}"
                     f"flipped {r['flipped']}/{r['images']}  median "
                     f"{r['median_queries_flipped'] or '-'}  mean "
                     f"{r['mean_queries_flipped'] or '-'}")
    return "\n".join(lines)


def format_queries_markdown(rows: list[dict]) -> str:
    """The same block as a Markdown table (summary --markdown), or "" when no row has queries."""
    if not rows:
        return ""
    lines = ["\nQueries to flip (query-based attacks: model queries until the top-1 changed; "
             "median and mean over the flipped images; Wilson 95 % interval of the flip rate):\n",
             "| method | target | eps | tier | flipped | flip rate [95 % CI] | median queries | "
             "mean queries |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rate = (f"{float(r['flip_rate']):.1%} [{float(r['flip_rate_lo']):.1%}, "
                f"{float(r['flip_rate_hi']):.1%}]")
        lines.append(f"| {r['method']} | {r['target']} | {r['eps']} | {r['tier']} | "
                     f"{r['flipped']}/{r['images']} | {rate} | "
                     f"{r['median_queries_flipped'] or '-'} | {r['mean_queries_flipped'] or '-'} |")
    return "\n".join(lines)
