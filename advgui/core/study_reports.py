"""The whole-file reports a study writes after its rows: summary, fragility, figures, manifest."""

from __future__ import annotations

from pathlib import Path

from advgui.core.fragility import CORRELATION_COLUMNS, FRAGILITY_COLUMNS, fragility_rows
from advgui.core.plots import plot_fragility
from advgui.core.report import write_csv
from advgui.core.safe_write import atomic_write_json
from advgui.core.scoring import SUMMARY_COLUMNS, summary_rows

REPORT_FILES = ("summary.csv", "fragility.csv", "fragility_correlation.csv", "fragility.png")


def write_reports(out: Path, rows: list[dict], manifest: dict, title: str) -> list[dict]:
    """Write every report from the rows (through temporary files); returns the summary rows."""
    summary = summary_rows(rows)
    write_csv(out / "summary.csv", SUMMARY_COLUMNS, summary)
    bins, correlations = fragility_rows(rows)
    if bins:
        write_csv(out / "fragility.csv", FRAGILITY_COLUMNS, bins)
        write_csv(out / "fragility_correlation.csv", CORRELATION_COLUMNS, correlations)
        plot_fragility(bins, correlations, out / "fragility.png", title)
    manifest["fragility"] = correlations
    atomic_write_json(out / "manifest.json", manifest)
    return summary
