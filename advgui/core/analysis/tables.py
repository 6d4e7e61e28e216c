"""The per-tier summary as text: the seed's fixed-width table, a Markdown table, and the one way
a rate is written (format_rate), which every table, the CLI and the window use."""

from __future__ import annotations

import math

from advgui.core.analysis.summary import uses_truth
from advgui.core.tiers import Tier

METHOD_ORDER = ("iterative", "fast", "pgd", "momentum")  # the seed's two first


def method_order(method: str) -> tuple[int, str]:
    """Sort key of a method: the seed's order, then any other by name."""
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


def format_rate(row: dict, key: str, missing: str = "—", fixed: bool = False) -> str:
    """A summary rate with its interval: '41.2 % [34.1, 48.7] n=120' (its own denominator), or
    with ``fixed`` the seed table's fixed-width cell ' 41.2% ± 3.5' (the interval's half width)."""
    p = float(row[key])
    if fixed:
        half = 0.0 if math.isnan(float(row[key + "_lo"])) else \
            50 * (float(row[key + "_hi"]) - float(row[key + "_lo"]))
        shown = "   n/a" if math.isnan(p) else f"{100 * p:5.1f}%"
        return f"{shown:>8} ±{half:4.1f}"
    if math.isnan(p):
        return missing
    n = row.get(key + "_n", row["images"])
    return (f"{100 * p:.1f} % [{100 * float(row[key + '_lo']):.1f}, "
            f"{100 * float(row[key + '_hi']):.1f}] n={n}")


def format_summary(summary: list[dict]) -> str:
    """The seed's table: per target and eps, rows = tiers, columns = method x (top-5, top-1)."""
    lines = []
    groups = sorted({(r["target"], r["eps"]) for r in summary})
    for target, eps in groups:
        methods = sorted({r["method"] for r in summary if r["target"] == target and r["eps"] == eps},
                         key=method_order)  # iterative first, as in the seed
        use_truth = any(r["top1_error_truth_n"] for r in summary if r["target"] == target)
        kind = "vs truth" if use_truth else "vs clean prediction"
        lines.append(f"\nTarget {target}, eps {eps}/255 (error rates {kind}, 8-bit images)")
        head = f"{'tier':<8}{'n':>6}"
        for m in methods:
            head += f"  {m + ' top-5':>16}  {m + ' top-1':>16}"
        lines.append(head)
        for tier in [t.value for t in Tier] + ["all"]:
            line = None
            for m in methods:
                row = next((r for r in summary if (r["target"], r["eps"], r["method"], r["tier"])
                            == (target, eps, m, tier)), None)
                if row is None:
                    continue
                if line is None:
                    line = f"{tier:<8}{row['images']:>6}"
                k5 = "top5_error_truth" if use_truth else "top5_error_clean"
                k1 = "top1_error_truth" if use_truth else "top1_error_clean"
                line += f"  {format_rate(row, k5, fixed=True)}   {format_rate(row, k1, fixed=True)}"
            if line:
                lines.append(line)
    return "\n".join(lines)


def format_markdown(summary: list[dict]) -> str:
    """The seed's layout as a Markdown table: rows tier x method, columns target x top-5/top-1."""
    use_truth = uses_truth(summary)
    k1 = "top1_error_truth" if use_truth else "top1_error_clean"
    k5 = "top5_error_truth" if use_truth else "top5_error_clean"
    targets = sorted({r["target"] for r in summary})
    head = "| eps | tier | method | images | " + " | ".join(
        f"{t} top-5 | {t} top-1" for t in targets) + " |"
    lines = [head, "|" + "---|" * (4 + 2 * len(targets))]
    order = [t.value for t in Tier] + ["all"]
    keys = sorted({(r["eps"], r["tier"], r["method"]) for r in summary},
                  key=lambda k: (float(k[0]), order.index(k[1]), method_order(k[2])))
    for eps, tier, method in keys:
        cells = []
        images = 0
        for t in targets:
            row = next((r for r in summary if (r["eps"], r["tier"], r["method"], r["target"])
                        == (eps, tier, method, t)), None)
            if row is None:
                cells += ["", ""]
                continue
            images = max(images, int(row["images"]))
            cells += [format_rate(row, k5), format_rate(row, k1)]
        lines.append(f"| {eps} | {tier} | {method} | {images} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
