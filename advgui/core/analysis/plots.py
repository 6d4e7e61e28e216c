"""The study's figures, drawn headless (matplotlib's Agg backend: no display, no Qt)."""

from __future__ import annotations

import functools
import gc
import io
import math
import threading
from pathlib import Path

from advgui.core.analysis import palette
from advgui.core.analysis.summary import uses_truth
from advgui.core.records.safe_write import atomic_write_bytes
from advgui.core.wording import count_noun


# Figures are drawn off the GUI thread (the window's study worker). matplotlib and FreeType are
# not thread-safe, and the GUI thread's garbage collector freed the previous figures' objects
# while a worker was drawing the next one: a segfault in the collector, reproduced in 2 of 2 runs
# of the window's tests. So one figure is drawn at a time, with the automatic collector paused
# for its duration. In the window the automatic collector is off anyway (ui/workers/collector.py
# collects on the GUI thread while no job runs), so this pause matters to other threaded callers.
_DRAWING = threading.Lock()


def _exclusive(draw):
    @functools.wraps(draw)
    def drawing_alone(*args, **kwargs):
        with _DRAWING:
            enabled = gc.isenabled()
            gc.disable()
            try:
                return draw(*args, **kwargs)
            finally:
                if enabled:
                    gc.enable()
    return drawing_alone


def _marker(target: str) -> str:
    return palette.MATPLOTLIB_MARKERS[palette.target_shape(target)]


def _line(target: str) -> str:
    return palette.MATPLOTLIB_LINES[palette.target_line(target)]


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


def _empty(ax, why: str) -> None:
    """A panel with nothing to draw says why, in the panel itself."""
    ax.text(0.5, 0.5, why, ha="center", va="center", wrap=True, fontsize=8.5, color="#555",
            transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _why_no_median(methods: set[str], eps: str) -> str:
    if methods == {"fast"}:
        return "no median eps-to-flip: most images of every decile\nflipped at no level up to 64"
    return (f"no median eps-to-flip: most images of every decile\nflipped at no level up to 64 "
            f"(fast) nor within ε {eps} (iterative)" if "fast" in methods else
            f"no median eps-to-flip: most images of every decile\nflipped within no ε up to {eps}")


@_exclusive
def plot_fragility(bins: list[dict], correlations: list[dict], path: Path, title: str) -> None:
    """Flip rate (with Wilson intervals) and median eps-to-flip by decile of clean confidence,
    one row of panels per eps. Whatever the rows (none, none flipped, all flipped, one image),
    the figure is drawn; a panel with nothing to draw says why."""
    from matplotlib.ticker import ScalarFormatter  # noqa: PLC0415

    eps_values = sorted({b["eps"] for b in bins}, key=float)
    fig = _figure(11, 1.0 + 3.6 * max(len(eps_values), 1))
    axes = fig.subplots(max(len(eps_values), 1), 2, squeeze=False)
    if not eps_values:
        for ax in axes[0]:
            _empty(ax, "no fast, iterative or momentum rows: no eps-to-flip was measured\n"
                       "(PGD and noise have none; or no image was attacked)")
    rho = {(c["method"], c["target"], c["eps"]): c for c in correlations}
    for row, eps in zip(axes, eps_values):
        rate_ax, eps_ax = row
        series = sorted({(b["method"], b["target"]) for b in bins if b["eps"] == eps})
        medians = []
        for k, (method, target) in enumerate(series):
            sel = [b for b in bins if (b["method"], b["target"], b["eps"]) == (method, target, eps)
                   and b["group"] == "decile"]
            x = [int(b["bin"]) + (k - (len(series) - 1) / 2) * 0.1 for b in sel]
            y = [100 * float(b["flip_rate"]) for b in sel]
            lo = [y_ - 100 * float(b["flip_rate_lo"]) for y_, b in zip(y, sel)]
            hi = [100 * float(b["flip_rate_hi"]) - y_ for y_, b in zip(y, sel)]
            c = rho.get((method, target, eps), {})
            try:
                label = f"{method} {target} (Spearman ρ {float(c.get('spearman', 'nan')):+.2f})"
            except ValueError:
                label = f"{method} {target}"
            style = dict(color=palette.method_colour(method), marker=_marker(target),
                         linestyle="-" if target == "inverse" else "--")
            rate_ax.errorbar(x, y, yerr=[lo, hi], capsize=2, label=label, **style)
            values = [_eps_value(b["median_eps_to_flip"]) for b in sel]
            if any(math.isfinite(v) and v > 0 for v in values):
                eps_ax.plot(x, values, label=label, **style)
                medians += [v for v in values if math.isfinite(v) and v > 0]
        rate_ax.set(ylabel=f"ε {eps}: top-1 flipped (%)", ylim=(-2, 102), xticks=range(1, 11))
        rate_ax.legend(fontsize=7, loc="best")
        rate_ax.grid(alpha=0.3)
        if not medians:
            # Nothing within the search or the budget: a log axis of no value cannot be drawn.
            _empty(eps_ax, _why_no_median({m for m, _ in series}, eps))
            continue
        eps_ax.set(ylabel="median ε-to-flip (levels)", xticks=range(1, 11))
        eps_ax.set_yscale("log", base=2)
        eps_ax.yaxis.set_major_formatter(ScalarFormatter())
        eps_ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("decile of clean top-1 confidence (1 = least confident)")
    measures = sorted({f"{b['method']}: {b['measure']}" for b in bins if b.get("measure")})
    fig.suptitle(f"{title}. Medians past the search (fast) or the budget (iterative) are not "
                 "drawn.\nε-to-flip measures " + ("; ".join(measures) or "none"), fontsize=8)
    _save(fig, path)


@_exclusive
def plot_error_vs_eps(summary: list[dict], path: Path, title: str) -> bool:
    """Kurakin et al. 2016, Figure 2 style: top-1 (solid) and top-5 (dashed) error against eps,
    one line per method, one row of panels per target and one panel per tier (and all images),
    with the Wilson intervals the table gives. False (nothing drawn) for a study of one eps."""
    from matplotlib.lines import Line2D  # noqa: PLC0415
    from matplotlib.ticker import ScalarFormatter  # noqa: PLC0415

    eps_values = sorted({float(r["eps"]) for r in summary})
    if len(eps_values) < 2:
        return False
    use_truth = uses_truth(summary)
    kind = "truth" if use_truth else "clean"
    panels = [t for t in ("high", "medium", "low", "all") if any(r["tier"] == t for r in summary)]
    targets = sorted({r["target"] for r in summary})
    methods = sorted({r["method"] for r in summary}, key=lambda m: (m not in palette.METHODS, m))
    # One row per target: sixteen lines in one panel could not be told apart.
    fig = _figure(3.0 * len(panels) + 1.3, 2.9 * len(targets) + 0.5)
    grid = fig.subplots(len(targets), len(panels), squeeze=False, sharex=True, sharey=True)
    for axes, target in zip(grid, targets):
        for ax, tier in zip(axes, panels):
            images = max((int(r["images"]) for r in summary
                          if (r["target"], r["tier"]) == (target, tier)), default=0)
            for method in methods:
                rows = sorted((r for r in summary if (r["method"], r["target"], r["tier"])
                               == (method, target, tier)), key=lambda r: float(r["eps"]))
                for k, dash in ((1, "-"), (5, "--")):
                    key = f"top{k}_error_{kind}"
                    pts = [(float(r["eps"]), float(r[key]), float(r[key + "_lo"]),
                            float(r[key + "_hi"])) for r in rows
                           if r[key] not in ("", "nan") and not math.isnan(float(r[key]))]
                    if not pts:
                        continue
                    x, y, lo, hi = zip(*pts)
                    ax.errorbar(x, [100 * v for v in y],
                                yerr=[[100 * (v - a) for v, a in zip(y, lo)],
                                      [100 * (b - v) for v, b in zip(y, hi)]],
                                color=palette.method_colour(method), marker=_marker(target),
                                linestyle=dash, capsize=2, markersize=3.5, linewidth=1.2)
            name = f"{tier} confidence" if tier != "all" else "all images"
            ax.set_title(f"{name} ({count_noun(images, 'image')}), {target}", fontsize=8.5)
            ax.set(ylim=(-2, 102))
            ax.set_xscale("log", base=2)
            ax.set_xticks(eps_values)
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.grid(alpha=0.3)
        axes[0].set_ylabel(f"error vs {kind} (%)")
    for ax in grid[-1]:
        ax.set_xlabel("ε (pixel levels)")
    handles = [Line2D([], [], color=palette.method_colour(m), label=m) for m in methods]
    handles += [Line2D([], [], color="#333", linestyle="-", label="top-1"),
                Line2D([], [], color="#333", linestyle="--", label="top-5")]
    grid[0][-1].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.03, 1.0))
    counted = ("denominators: the images right when clean, per the seed" if use_truth else
               "no true labels: error against each image's clean prediction")
    # Two lines: on one, a two-panel figure cut the title at both edges.
    fig.suptitle(f"{title}: error against ε\n(95 % Wilson intervals; {counted})", fontsize=9)
    _save(fig, path)
    return True


@_exclusive
def plot_error_by_tier(summary: list[dict], path: Path, title: str) -> None:
    """The seed's table as a figure: top-1 error per confidence tier (and all images), one line
    per method and target, one panel per eps, with the table's Wilson intervals. Drawn for every
    study (the window's batch dialog and advgui-cli write the same file from the same rows)."""
    from matplotlib.lines import Line2D  # noqa: PLC0415

    use_truth = uses_truth(summary)
    kind = "truth" if use_truth else "clean"
    key = f"top1_error_{kind}"
    tiers = [t for t in ("high", "medium", "low", "all") if any(r["tier"] == t for r in summary)]
    eps_values = sorted({r["eps"] for r in summary}, key=float)
    series = sorted({(r["method"], r["target"]) for r in summary},
                    key=lambda s: (s[0] not in palette.METHODS, s))
    fig = _figure(2.6 * max(len(eps_values), 1) + 1.6, 3.4)
    axes = fig.subplots(1, max(len(eps_values), 1), squeeze=False, sharey=True)[0]
    for e, (ax, eps) in enumerate(zip(axes, eps_values)):
        for k, (method, target) in enumerate(series):
            marker = palette.MATPLOTLIB_MARKERS[palette.series_shape(target, e, len(eps_values))]
            by_tier = {r["tier"]: r for r in summary
                       if (r["method"], r["target"], r["eps"]) == (method, target, eps)}
            # A tier without a rate (no image counted) is a gap in the line, never bridged: a
            # line from high to low would read as a value for medium.
            x = [i + (k - (len(series) - 1) / 2) * 0.06 for i in range(len(tiers))]
            rows = [by_tier.get(t) for t in tiers]
            known = [r is not None and r[key] not in ("", "nan") and not math.isnan(float(r[key]))
                     for r in rows]
            if not any(known):
                continue
            y = [100 * float(r[key]) if ok else math.nan for r, ok in zip(rows, known)]
            lo = [v - 100 * float(r[key + "_lo"]) if ok else 0.0
                  for v, r, ok in zip(y, rows, known)]
            hi = [100 * float(r[key + "_hi"]) - v if ok else 0.0
                  for v, r, ok in zip(y, rows, known)]
            ax.errorbar(x, y, yerr=[lo, hi], color=palette.method_colour(method),
                        marker=marker, linestyle=_line(target), capsize=2, markersize=5,
                        linewidth=1.2)
        ax.set_xticks(range(len(tiers)), tiers)
        ax.set_title(f"ε {eps}", fontsize=9)
        ax.set(ylim=(-2, 102))
        ax.grid(alpha=0.3)
    if not eps_values:
        axes[0].text(0.5, 0.5, "no attack rows yet", ha="center", va="center",
                     transform=axes[0].transAxes)
    # The axis title sits outside the tick labels (labelpad), never across the "100" tick.
    axes[0].set_ylabel(f"top-1 error vs {kind} (%)", labelpad=6)
    several = len(eps_values) > 1
    handles = [Line2D([], [], color=palette.method_colour(m), linestyle=_line(t),
                      marker=None if several else _marker(t), label=f"{m} {t}")
               for m, t in series]
    if several:  # each eps its own marker (the panels' titles say which, the legend repeats it)
        handles += [Line2D([], [], color="#333333", linestyle="none", label=f"ε {eps}",
                           marker=palette.MATPLOTLIB_MARKERS[palette.eps_shape(e)])
                    for e, eps in enumerate(eps_values)]
    if series:
        axes[-1].legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.03, 1.0))
    # Two lines: a study of one eps draws a narrow figure, and one line was cut at both edges.
    fig.suptitle(f"{title}\ntop-1 error by confidence tier (95 % Wilson intervals)", fontsize=9)
    _save(fig, path)
