"""How hard each image is to flip, against how confident the model was: the seed's question
without depending on three arbitrary bins.

Per image (searched by study.fragility_search while the study runs), each table and figure
naming the measure it shows (``MEASURES``):
- fast: ``eps_to_flip``, the smallest whole 8-bit level 1..64 whose one-step image, rounded to 8
  bits, changes the top-1 class (every level in turn from 1; exact); and ``eps_to_flip_float``,
  the same for the unrounded image to 1/64 level. Rows of a release before this one hold the
  first level of a 17-level grid (1-8, 10, 12, 14, 16, 20, 24, 32, 48, 64) instead: rounded up
  above 8; the tables say how many such rows they read.
- iterative, momentum: the L-infinity of the image at the first step whose top-1 changed.
- pgd and noise are left out: PGD starts anywhere in the ball and noise has no direction, so
  the L-infinity at their first flip is the ball's radius, whatever the image.
Per method and target: flip rate by decile of clean confidence (Wilson intervals), median
eps-to-flip per tier and decile, Spearman's rank correlation of confidence with eps-to-flip
(bootstrap interval), and the non-monotone flips: images flipped at a smaller eps than the
row's but not at the row's eps (a larger step lost the flip), and images flipped at this eps of
the study but not at a larger one.
"""

from __future__ import annotations

import math

import numpy as np

from advgui.core.analysis.stats import spearman, spearman_bootstrap, wilson
from advgui.core.analysis.summary import rows_by_attack
from advgui.core.tiers import Tier

# The fast search (study.fragility_search) tries every level 1..FAST_MAX in turn; an image not
# flipped at the last one has eps-to-flip "> 64" (inf). FAST_GRID: the levels the release before
# tried (older rows hold the first of them that flipped).
FAST_MAX = 64
FAST_GRID = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 32, 48, 64)
# Forward runs of the search at most: every level (8-bit and float images in one run), then the
# bisection of the float measure to 1/64 level.
FAST_SEARCH_RUNS = FAST_MAX + 6
UNMEASURED = ("pgd", "noise", "square")  # no eps-to-flip: the first flip is at the radius
# (square: its stripes move every pixel by eps at query 1; its measure is queries_to_flip)
MEASURES = {
    "fast": "smallest 8-bit level 1-64 whose rounded one-step image flips the top-1",
    "fast_float": "smallest real eps (to 1/64 level) whose float one-step image flips the top-1",
    "fast_grid": "rows of an older release: first flipping level of the grid 1-8, 10, 12, 14, "
                 "16, 20, 24, 32, 48, 64 (rounded up above 8)",
    "stepped": "L-inf (levels) of the first step whose top-1 changed",
}
DECILES = 10

FRAGILITY_COLUMNS = ["method", "target", "eps", "group", "bin", "images", "confidence_lo",
                     "confidence_hi", "flipped", "flip_rate", "flip_rate_lo", "flip_rate_hi",
                     "median_eps_to_flip", "measure"]
CORRELATION_COLUMNS = ["method", "target", "eps", "images", "spearman", "spearman_lo",
                       "spearman_hi", "median_eps_to_flip_high", "median_eps_to_flip_medium",
                       "median_eps_to_flip_low",
                       # appended: what the numbers measure and where flips are not monotone
                       "measure", "flipped_below_not_at_eps", "flipped_not_at_larger_eps",
                       "median_eps_to_flip_float", "grid_rows",
                       # appended: how much the ranks tie (rho can rest on a handful of images)
                       "eps_to_flip_distinct", "eps_to_flip_modal", "bootstrap_left_out",
                       "bootstrap_rounds"]
BOOTSTRAP_ROUNDS = 2000
# Below this many images off the commonest eps-to-flip, the text says whom rho rests on.
FEW_UNTIED = 10


def _median(values: np.ndarray, cap: float) -> str:
    """Median eps-to-flip as the report prints it ('>cap' when most were never flipped: beyond
    the fast search's last level, or the iterative attack's eps)."""
    if not len(values):
        return ""
    m = float(np.median(values))
    return f">{cap:g}" if math.isinf(m) else f"{m:g}"


def _eps_of(row: dict, column: str = "eps_to_flip") -> float:
    value = row.get(column, "")
    return float("inf") if value in ("", "inf") else float(value)


def measure_of(method: str, sel: list[dict]) -> tuple[str, int]:
    """(what eps-to-flip means in these rows, how many fast rows hold the older grid value)."""
    if method != "fast":
        return MEASURES["stepped"], 0
    # A fast row of this release always has its float measure (inf or a number).
    grid = sum(1 for r in sel if r.get("eps_to_flip_float", "") == "")
    if grid == len(sel):
        return MEASURES["fast_grid"], grid
    text = MEASURES["fast"] + (f" ({grid} rows: {MEASURES['fast_grid']})" if grid else "")
    return text, grid


def _lost_at_larger(attacks: dict, method: str, target: str, eps: float) -> int:
    """Images flipped at this eps but not at some larger eps of the study (same attack)."""
    flipped = {r.get("file") for r in attacks[method, target, eps]
               if r["top1_error_clean"] == "1"} - {None}
    lost = set()
    for (m, t, e), sel in attacks.items():
        if (m, t) == (method, target) and e > eps:
            lost |= {r.get("file") for r in sel if r["top1_error_clean"] != "1"} & flipped
    return len(lost)


def fragility_rows(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(per-bin rows, per-attack correlation rows) from images.csv rows with eps_to_flip."""
    ok = [r for r in rows if r.get("status") == "ok" and "eps_to_flip" in r
          and r.get("method") not in UNMEASURED]
    attacks = rows_by_attack(ok)
    bins, correlations = [], []
    for method, target, eps in sorted(attacks):
        sel = attacks[method, target, eps]
        conf = np.asarray([float(r["clean_top1_probability"]) for r in sel])
        flip_eps = np.asarray([_eps_of(r) for r in sel])
        flipped = np.asarray([r["top1_error_clean"] == "1" for r in sel])
        measure, grid_rows = measure_of(method, sel)
        head = {"method": method, "target": target, "eps": f"{eps:g}"}
        cap = FAST_MAX if method == "fast" else eps
        order = np.argsort(conf, kind="stable")
        groups = [("decile", str(d + 1), order[d * len(sel) // DECILES:(d + 1) * len(sel) // DECILES])
                  for d in range(DECILES)]
        tiers = np.asarray([r["tier"] for r in sel])
        groups += [("tier", t.value, np.flatnonzero(tiers == t.value)) for t in Tier]
        for group, name, idx in groups:
            if not len(idx):
                continue
            k = int(flipped[idx].sum())
            lo, hi = wilson(k, len(idx))
            bins.append({**head, "group": group, "bin": name, "images": len(idx),
                         "confidence_lo": f"{conf[idx].min():.4f}",
                         "confidence_hi": f"{conf[idx].max():.4f}", "flipped": k,
                         "flip_rate": f"{k / len(idx):.4f}", "flip_rate_lo": f"{lo:.4f}",
                         "flip_rate_hi": f"{hi:.4f}", "median_eps_to_flip": _median(flip_eps[idx], cap),
                         "measure": measure})
        rho = spearman(conf, flip_eps)
        rlo, rhi, left_out = spearman_bootstrap(conf, flip_eps, BOOTSTRAP_ROUNDS)
        _, tied = np.unique(flip_eps, return_counts=True)
        floats = np.asarray([_eps_of(r, "eps_to_flip_float") for r in sel
                             if r.get("eps_to_flip_float", "") != ""])
        correlations.append({**head, "images": len(sel), "spearman": f"{rho:.4f}",
                             "spearman_lo": f"{rlo:.4f}", "spearman_hi": f"{rhi:.4f}",
                             **{f"median_eps_to_flip_{t.value}": _median(flip_eps[tiers == t.value], cap)
                                for t in Tier},
                             "measure": measure,
                             "flipped_below_not_at_eps": int(np.sum((flip_eps < eps) & ~flipped)),
                             "flipped_not_at_larger_eps": _lost_at_larger(attacks, method, target, eps),
                             "median_eps_to_flip_float": _median(floats, cap) if method == "fast" else "",
                             "grid_rows": grid_rows,
                             "eps_to_flip_distinct": len(tied), "eps_to_flip_modal": int(tied.max()),
                             "bootstrap_left_out": left_out, "bootstrap_rounds": BOOTSTRAP_ROUNDS})
    return bins, correlations


def _number(text: str) -> str:
    try:
        return f"{float(text):+.3f}"
    except ValueError:
        return "n/a"


def ties_note(r: dict) -> str:
    """What rho rests on when eps-to-flip nearly always ties ('' otherwise, or for rows written
    before these columns)."""
    if r.get("eps_to_flip_modal", "") == "":
        return ""
    images, modal = int(r["images"]), int(r["eps_to_flip_modal"])
    left_out = int(r["bootstrap_left_out"])
    if images - modal >= FEW_UNTIED and not left_out:
        return ""
    text = (f"eps-to-flip takes {r['eps_to_flip_distinct']} values, {modal} of {images} images "
            f"tie: rho rests on the other {images - modal}")
    if left_out:
        text += (f"; {left_out} of {r['bootstrap_rounds']} resamples drew one value only and "
                 "are left out of the interval")
    return text


def format_fragility(correlations: list[dict]) -> str:
    lines = ["\nConfidence vs eps-to-flip (Spearman, 95 % bootstrap interval; median eps-to-flip "
             "in levels per tier)"]
    if not correlations:
        lines.append("  (no fast, iterative or momentum rows: nothing measured)")
    for r in correlations:
        lines.append(f"  {r['method']:<10}{r['target']:<20}eps {r['eps']:>4}  n={r['images']:<5} "
                     f"rho {_number(r['spearman'])} [{_number(r['spearman_lo'])}, "
                     f"{_number(r['spearman_hi'])}]  median high {r['median_eps_to_flip_high'] or '-'}"
                     f", medium {r['median_eps_to_flip_medium'] or '-'}, low "
                     f"{r['median_eps_to_flip_low'] or '-'}")
        extra = []
        if r.get("median_eps_to_flip_float"):
            extra.append(f"float median {r['median_eps_to_flip_float']}")
        if r.get("flipped_below_not_at_eps"):
            extra.append(f"{r['flipped_below_not_at_eps']} flipped at a smaller eps, not at "
                         f"{r['eps']}")
        if r.get("flipped_not_at_larger_eps"):
            extra.append(f"{r['flipped_not_at_larger_eps']} flipped at {r['eps']}, not at a "
                         "larger eps")
        ties = ties_note(r)
        if ties:
            extra.append(ties)
        if extra:
            lines.append("      " + "; ".join(extra))
    measures = {(r["method"] == "fast", r.get("measure", "")) for r in correlations}
    for _, text in sorted(measures):
        if text:
            lines.append(f"  measure: {text}")
    return "\n".join(lines)
