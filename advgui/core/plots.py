"""The study's figures, drawn headless (matplotlib's Agg backend: no display, no Qt)."""

from __future__ import annotations

import io
import math
from pathlib import Path

from advgui.core.safe_write import atomic_write_bytes

COLOURS = {"iterative": "#c0392b", "fast": "#2471a3"}
MARKERS = {"least-likely": "o", "inverse": "s", "least-likely-top5": "^", "true": "D"}


def _figure(width: float, height: float):
    import matplotlib  # noqa: PLC0415 (loaded only when a figure is drawn)

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # noqa: PLC0415

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(path, buf.getvalue())


def _eps_value(text: str) -> float:
    if not text:
        return math.nan
    return math.inf if text.startswith(">") else float(text)


def plot_fragility(bins: list[dict], correlations: list[dict], path: Path, title: str) -> None:
    """Flip rate (with Wilson intervals) and median eps-to-flip by decile of clean confidence,
    one row of panels per eps."""
    from matplotlib.ticker import ScalarFormatter  # noqa: PLC0415

    eps_values = sorted({b["eps"] for b in bins}, key=float)
    fig = _figure(11, 1.0 + 3.6 * len(eps_values))
    axes = fig.subplots(len(eps_values), 2, squeeze=False)
    rho = {(c["method"], c["target"], c["eps"]): c for c in correlations}
    for row, eps in zip(axes, eps_values):
        rate_ax, eps_ax = row
        series = sorted({(b["method"], b["target"]) for b in bins if b["eps"] == eps})
        for k, (method, target) in enumerate(series):
            sel = [b for b in bins if (b["method"], b["target"], b["eps"]) == (method, target, eps)
                   and b["group"] == "decile"]
            x = [int(b["bin"]) + (k - (len(series) - 1) / 2) * 0.1 for b in sel]
            y = [100 * float(b["flip_rate"]) for b in sel]
            lo = [y_ - 100 * float(b["flip_rate_lo"]) for y_, b in zip(y, sel)]
            hi = [100 * float(b["flip_rate_hi"]) - y_ for y_, b in zip(y, sel)]
            c = rho.get((method, target, eps), {})
            label = f"{method} {target} (Spearman ρ {float(c.get('spearman', 'nan')):+.2f})"
            style = dict(color=COLOURS.get(method, "#555"), marker=MARKERS.get(target, "x"),
                         linestyle="-" if target == "inverse" else "--")
            rate_ax.errorbar(x, y, yerr=[lo, hi], capsize=2, label=label, **style)
            eps_ax.plot(x, [_eps_value(b["median_eps_to_flip"]) for b in sel], label=label,
                        **style)
        rate_ax.set(ylabel=f"ε {eps}: top-1 flipped (%)", ylim=(-2, 102), xticks=range(1, 11))
        eps_ax.set(ylabel="median ε-to-flip (levels)", xticks=range(1, 11))
        eps_ax.set_yscale("log", base=2)
        eps_ax.yaxis.set_major_formatter(ScalarFormatter())
        rate_ax.legend(fontsize=7, loc="best")
        for ax in row:
            ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("decile of clean top-1 confidence (1 = least confident)")
    fig.suptitle(f"{title}. Medians past the search (fast) or the budget (iterative) are not "
                 "drawn.", fontsize=9)
    _save(fig, path)
