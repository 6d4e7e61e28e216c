"""A study's layer-divergence profile per confidence tier (``advgui-cli explain-study``): for each
tier and block, the mean over the tier's images of the relative L2 distance and of the cosine
between the clean and the adversarial activation (docs/explain.md), each with its 95 % interval,
as the rows of divergence_by_tier.csv and as its figure.

The interval is a percentile bootstrap over the tier's images (``stats.mean_interval``, 10,000
resamples, seed 0: a rerun writes the same file). Percentile, not t: both measures are bounded
(cosine <= 1, relative L2 >= 0) and skewed near those bounds, where a t interval can cross them and
a percentile interval stays inside the data's range. Its cost is coverage below 95 % at small n,
so each mean's n is written beside it and a tier under FEW images is called few. Per block, an
image whose measure has no value there (a clean activation of all zeros has no relative L2) is left
out of that block's mean, interval and n.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from advgui.core.csv_text import csv_text
from advgui.core.analysis.stats import mean_interval

TIERS = ("high", "medium", "low")
BOOTSTRAP_ROUNDS = 10_000
BOOTSTRAP_SEED = 0
# Below this many images the percentile interval holds the mean well under 95 % of the time
# (86-89 % at 10, 71 % at 3: benchmarks/bootstrap_coverage.py); the figure and the CLI say so.
FEW = 10
MEASURES = ("relative_l2", "cosine")
# The first five are the file's columns before it had intervals, in their order: older readers
# find them where they were.
COLUMNS = ("tier", "block", "images", "mean_relative_l2", "mean_cosine",
           "relative_l2_low", "relative_l2_high", "relative_l2_n",
           "cosine_low", "cosine_high", "cosine_n")
INTERVAL = (f"95 % percentile bootstrap over the tier's images ({BOOTSTRAP_ROUNDS:,} resamples, "
            f"seed {BOOTSTRAP_SEED})")


def _number(x: float) -> str:
    return f"{x:.6g}"  # nan where there is no value: float() and every CSV reader take it


def _mean_and_interval(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per column of [n, B]: its finite values' mean, that mean's interval, their count."""
    finite = np.isfinite(values)
    blocks = values.shape[1]
    mean, low, high = (np.full(blocks, np.nan) for _ in range(3))
    whole = finite.all(axis=0)
    if whole.any() and len(values):  # the usual case: every image has every block, one call
        mean[whole] = values[:, whole].mean(axis=0)
        low[whole], high[whole] = mean_interval(values[:, whole], BOOTSTRAP_ROUNDS, BOOTSTRAP_SEED)
    for b in np.flatnonzero(~whole):
        kept = values[finite[:, b], b]
        if len(kept):
            mean[b] = kept.mean()
            low[b], high[b] = mean_interval(kept, BOOTSTRAP_ROUNDS, BOOTSTRAP_SEED)
    return mean, low, high, finite.sum(axis=0)


def divergence_by_tier(blocks: Sequence[str], tiers: Sequence[str], relative_l2: np.ndarray,
                       cosine: np.ndarray) -> list[dict]:
    """The CSV's rows: per tier with images (in TIERS' order), one row per block, input to output.

    tiers[i] is image i's tier; relative_l2 and cosine are [images, blocks] (nan where a measure
    has no value). A tier without images has no rows."""
    tiers = np.asarray(tiers, dtype=object)
    out = []
    for tier in TIERS:
        mine = tiers == tier
        if not mine.any():
            continue
        stats = {m: _mean_and_interval(np.asarray(v, np.float64)[mine])
                 for m, v in zip(MEASURES, (relative_l2, cosine))}
        for b, name in enumerate(blocks):
            row = {"tier": tier, "block": name, "images": int(mine.sum()),
                   "mean_relative_l2": _number(stats["relative_l2"][0][b]),
                   "mean_cosine": _number(stats["cosine"][0][b])}
            for m in MEASURES:
                _, low, high, n = stats[m]
                row |= {f"{m}_low": _number(low[b]), f"{m}_high": _number(high[b]),
                        f"{m}_n": int(n[b])}
            out.append(row)
    return out


def profile_csv(rows: list[dict]) -> str:
    return csv_text(COLUMNS, rows)


def tier_label(tier: str, n: int) -> str:
    """The legend's words for a tier: its n, that one image has no interval, and that a few have
    one too narrow (stats.mean_interval's coverage)."""
    if n == 1:
        return f"{tier} (n = 1, no interval)"
    return f"{tier} (n = {n}, few: band too narrow)" if n < FEW else f"{tier} (n = {n})"


def profile_png(rows: list[dict], blocks: Sequence[str], title: str) -> bytes:
    buf = io.BytesIO()
    profile_figure(rows, blocks, title).savefig(buf, format="png")
    return buf.getvalue()


def profile_figure(rows: list[dict], blocks: Sequence[str], title: str):
    """Relative L2 (top) and cosine (bottom) per block, one line per tier with its interval as a
    band; a tier of one image is a dashed line without a band, a tier without images a note."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # noqa: PLC0415

    from advgui.core.analysis.palette import TIERS as COLOURS  # noqa: PLC0415

    fig = Figure(figsize=(7.5, 7.5), dpi=110, layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    x = np.arange(len(blocks))
    for ax, measure, ylabel in (
            (axes[0], "relative_l2", "mean ‖a_adv − a_clean‖ / ‖a_clean‖"),
            (axes[1], "cosine", "mean cos(a_adv, a_clean)")):
        for tier in TIERS:
            mine = [r for r in rows if r["tier"] == tier]
            if not mine:
                continue
            n = int(mine[0]["images"])
            mean = np.array([float(r[f"mean_{measure}"]) for r in mine])
            low = np.array([float(r[f"{measure}_low"]) for r in mine])
            high = np.array([float(r[f"{measure}_high"]) for r in mine])
            colour = COLOURS[tier]
            ax.plot(x, mean, "o-" if n > 1 else "o--", color=colour, markersize=4,
                    label=tier_label(tier, n))
            if n > 1:
                ax.fill_between(x, low, high, where=np.isfinite(low) & np.isfinite(high),
                                color=colour, alpha=0.2, linewidth=0)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, title="tier (n = its images)", title_fontsize=8)
    axes[1].set_xticks(x, blocks, rotation=60, ha="right", fontsize=7)
    missing = [t for t in TIERS if not any(r["tier"] == t for r in rows)]
    note = f"bands: {INTERVAL}"
    if missing:
        note += f"\nno images, not drawn: {', '.join(missing)}"
    fig.suptitle(f"Layer divergence per tier (input → output)\n{title}", fontsize=10)
    fig.supxlabel(note, fontsize=8)
    return fig
