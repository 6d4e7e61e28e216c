"""How hard each image is to flip, against how confident the model was: the seed's question
without depending on three arbitrary bins.

Per image (searched by study.fragility_search while the study runs): for the fast attack, the
smallest eps (pixel levels) whose one-step image, rounded to 8 bits, changes the top-1 class (one
gradient sign, then forward passes at increasing eps); for the iterative attack, the L-infinity
of the image at the first step whose top-1 changed. Per method and target: flip rate by decile
of clean confidence (Wilson intervals), median eps-to-flip per tier and decile, and Spearman's
rank correlation of confidence with eps-to-flip (bootstrap interval).
"""

from __future__ import annotations

import math

import numpy as np

from advgui.core.analysis.stats import spearman, spearman_interval, wilson
from advgui.core.analysis.summary import rows_by_attack
from advgui.core.tiers import Tier

# Levels the fast search (study.fragility_search) tries in turn; an image not flipped at the
# last one has eps-to-flip "> 64" (inf).
FAST_GRID = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 32, 48, 64)
DECILES = 10

FRAGILITY_COLUMNS = ["method", "target", "eps", "group", "bin", "images", "confidence_lo",
                     "confidence_hi", "flipped", "flip_rate", "flip_rate_lo", "flip_rate_hi",
                     "median_eps_to_flip"]
CORRELATION_COLUMNS = ["method", "target", "eps", "images", "spearman", "spearman_lo",
                       "spearman_hi", "median_eps_to_flip_high", "median_eps_to_flip_medium",
                       "median_eps_to_flip_low"]


def _median(values: np.ndarray, cap: float) -> str:
    """Median eps-to-flip as the report prints it ('>cap' when most were never flipped: beyond
    the fast search's last level, or the iterative attack's eps)."""
    if not len(values):
        return ""
    m = float(np.median(values))
    return f">{cap:g}" if math.isinf(m) else f"{m:g}"


def _eps_of(row: dict) -> float:
    value = row.get("eps_to_flip", "")
    return float("inf") if value in ("", "inf") else float(value)


def fragility_rows(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(per-bin rows, per-attack correlation rows) from images.csv rows with eps_to_flip."""
    # PGD starts at a random point of the whole ball: the L-infinity at its first flip is the
    # ball's radius, whatever the image, so it says nothing of how fragile the image is.
    ok = [r for r in rows if r.get("status") == "ok" and "eps_to_flip" in r
          and r.get("method") != "pgd"]
    attacks = rows_by_attack(ok)
    bins, correlations = [], []
    for method, target, eps in sorted(attacks):
        sel = attacks[method, target, eps]
        conf = np.asarray([float(r["clean_top1_probability"]) for r in sel])
        flip_eps = np.asarray([_eps_of(r) for r in sel])
        flipped = np.asarray([r["top1_error_clean"] == "1" for r in sel])
        head = {"method": method, "target": target, "eps": f"{eps:g}"}
        cap = FAST_GRID[-1] if method == "fast" else eps
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
                         "flip_rate_hi": f"{hi:.4f}", "median_eps_to_flip": _median(flip_eps[idx], cap)})
        rho = spearman(conf, flip_eps)
        rlo, rhi = spearman_interval(conf, flip_eps)
        correlations.append({**head, "images": len(sel), "spearman": f"{rho:.4f}",
                             "spearman_lo": f"{rlo:.4f}", "spearman_hi": f"{rhi:.4f}",
                             **{f"median_eps_to_flip_{t.value}": _median(flip_eps[tiers == t.value], cap)
                                for t in Tier}})
    return bins, correlations


def format_fragility(correlations: list[dict]) -> str:
    lines = ["\nConfidence vs eps-to-flip (Spearman, 95 % bootstrap interval; median eps-to-flip "
             "in levels per tier)"]
    for r in correlations:
        lines.append(f"  {r['method']:<10}{r['target']:<20}eps {r['eps']:>4}  n={r['images']:<5} "
                     f"rho {float(r['spearman']):+.3f} [{float(r['spearman_lo']):+.3f}, "
                     f"{float(r['spearman_hi']):+.3f}]  median high {r['median_eps_to_flip_high'] or '-'}"
                     f", medium {r['median_eps_to_flip_medium'] or '-'}, low "
                     f"{r['median_eps_to_flip_low'] or '-'}")
    return "\n".join(lines)
