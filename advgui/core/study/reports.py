"""The whole-file reports a study writes after its rows: summary, fragility, figures, manifest."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from advgui import __version__

from advgui.core.analysis.fragility import CORRELATION_COLUMNS, FRAGILITY_COLUMNS, fragility_rows
from advgui.core.analysis.queries import QUERIES_COLUMNS, queries_rows
from advgui.core.analysis.projection import PROJECTION_FILES, plot_feature_projection
from advgui.core.analysis.plots import plot_error_by_tier, plot_error_vs_eps, plot_fragility
from advgui.core.records.row_log import write_csv
from advgui.core.records.safe_write import atomic_write_json
from advgui.core.analysis.summary import summary_rows
from advgui.core.records.schema import SUMMARY_COLUMNS

REPORT_FILES = ("summary.csv", "fragility.csv", "fragility_correlation.csv", "fragility.png",
                "error_vs_eps.png",  # error_vs_eps.png: a study of two eps or more
                *PROJECTION_FILES)


def write_reports(out: Path, rows: list[dict], manifest: dict, title: str) -> list[dict]:
    """Write every report from the rows (through temporary files); returns the summary rows.

    A report that cannot be written (a folder planted at its name, a full disk) does not stop
    the others: each is tried, and the first failure is raised once all were (the seed's
    summary.csv and the manifest are not lost to a queries.csv that could not be replaced)."""
    failed: list[OSError] = []

    def attempt(write, *args):
        try:
            return write(*args)
        except OSError as exc:
            failed.append(exc)
            return None

    summary = summary_rows(rows)
    attempt(write_csv, out / "summary.csv", SUMMARY_COLUMNS, summary)
    bins, correlations = fragility_rows(rows)
    # Written whatever the rows (none, none flipped, one image): a study always finishes, and
    # its figures say in the panel why one is empty.
    attempt(write_csv, out / "fragility.csv", FRAGILITY_COLUMNS, bins)
    attempt(write_csv, out / "fragility_correlation.csv", CORRELATION_COLUMNS, correlations)
    queries = queries_rows(rows)
    if queries:  # a query-based attack's queries-to-flip (Square Attack), per tier
        attempt(write_csv, out / "queries.csv", QUERIES_COLUMNS, queries)
    else:  # none left (its rows are errors now): an earlier run's table would contradict them
        attempt(Path.unlink, out / "queries.csv", True)
    attempt(plot_fragility, bins, correlations, out / "fragility.png", title)
    attempt(plot_error_vs_eps, summary, out / "error_vs_eps.png", title)  # one eps: no curve
    attempt(plot_error_by_tier, summary, out / "error_by_tier.png", title)
    projection = attempt(plot_feature_projection, rows, out, title)
    manifest["fragility"] = correlations
    if projection is not None:
        manifest["feature_projection"] = {k: projection[k] for k in
                                          ("tensor", "explained_variance_ratio", "arrows",
                                           "empty")}
    attempt(atomic_write_json, out / "manifest.json", manifest)
    if failed:
        raise failed[0]
    return summary


def read_manifest(out: Path) -> dict:
    """The manifest an earlier run wrote, or {} (a damaged manifest is rewritten, never fatal)."""
    path = out / "manifest.json"
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def new_manifest(classifier, config, attacks, started: float) -> dict:
    """What this run used: model, device, parameters, versions, machine, start time."""
    import onnx  # noqa: PLC0415
    import onnxruntime  # noqa: PLC0415
    import PIL  # noqa: PLC0415

    c = classifier
    return {
        "advgui": __version__,
        "model": {"name": c.name, "path": str(c.path) if c.path else None,
                  "sha256": c.sha256, "classes": c.num_classes,
                  "preprocessing": asdict(c.preprocessing)},
        "device": c.device.describe(),
        "config": config.to_dict(),
        "attacks": [{"method": m, "eps": e, **({} if a.alpha is None else {"alpha": a.alpha}),
                     "steps": a.steps, **({"queries": a.queries} if hasattr(a, "queries") else {})}
                    for m, e, a in attacks],
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                     "pillow": PIL.__version__},
        "machine": platform.platform(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
    }
