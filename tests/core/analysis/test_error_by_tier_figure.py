"""Issue 24: error_by_tier.png tells eps apart by marker, and its y-axis title clears its ticks."""

from __future__ import annotations

import itertools

from advgui.core.analysis import plots


def _summary() -> list[dict]:
    rows = []
    for m, t, e, tier in itertools.product(("fast", "iterative"), ("inverse", "least-likely"),
                                           ("4", "8"), ("high", "medium", "low", "all")):
        v = {"high": 0.3, "medium": 0.5, "low": 0.8, "all": 0.55}[tier]
        rows.append({"tier": tier, "method": m, "target": t, "eps": e, "images": "10",
                     "top1_error_truth": "", "top1_error_truth_n": "0",
                     "top1_error_clean": str(v), "top1_error_clean_lo": str(v - 0.1),
                     "top1_error_clean_hi": str(v + 0.1)})
    return rows


def _drawn(monkeypatch, tmp_path):
    figures = []
    real = plots._save
    monkeypatch.setattr(plots, "_save", lambda fig, path: (figures.append(fig), real(fig, path)))
    plots.plot_error_by_tier(_summary(), tmp_path / "error_by_tier.png", "tiny")
    return figures[0]


def test_each_eps_has_its_own_marker(monkeypatch, tmp_path) -> None:
    fig = _drawn(monkeypatch, tmp_path)
    panels = [ax for ax in fig.axes if ax.get_title()]
    markers = [{line.get_marker() for line in ax.get_lines() if line.get_marker() not in
                ("None", "", None, "_")} for ax in panels]
    assert [ax.get_title() for ax in panels] == ["ε 4", "ε 8"]
    assert all(len(m) == 1 for m in markers) and markers[0] != markers[1]
    legend = {t.get_text(): h.get_marker() for t, h in zip(
        panels[-1].get_legend().get_texts(), panels[-1].get_legend().legend_handles)}
    assert legend["ε 4"] != legend["ε 8"]
    assert {legend["ε 4"], legend["ε 8"]} == markers[0] | markers[1]


def test_the_y_axis_title_clears_its_tick_labels(monkeypatch, tmp_path) -> None:
    fig = _drawn(monkeypatch, tmp_path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    title = ax.yaxis.label.get_window_extent(renderer)
    for tick in ax.get_yticklabels():
        if tick.get_text():
            assert not title.overlaps(tick.get_window_extent(renderer)), tick.get_text()
