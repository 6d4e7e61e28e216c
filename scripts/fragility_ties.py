"""How much a published study's eps-to-flip ties, for a fragility_correlation.csv written before
it counted its ties: recounted from the folder's own images.csv.gz by the project's fragility
code (the correlation's numbers stay the ones the study wrote; only the tie columns are added).

When nearly every image flips at level 1, Spearman's rho rests on the few that do not, and a
bootstrap resample without them has no rho (it is left out of the interval): the page says so
beside the row (advgui.core.analysis.fragility.ties_note)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from advgui.core.analysis.fragility import fragility_rows

TIE_COLUMNS = ("eps_to_flip_distinct", "eps_to_flip_modal", "bootstrap_left_out",
               "bootstrap_rounds")


def _key(row: dict) -> tuple:
    return row["method"], row["target"], float(row["eps"])


def with_ties(folder: Path, correlations: list[dict]) -> list[dict]:
    """correlations with the tie columns filled in where the file left them empty (and the
    folder holds its images.csv.gz to count them from)."""
    images = folder / "images.csv.gz"
    if all(r.get("eps_to_flip_modal", "") != "" for r in correlations) or not images.is_file():
        return correlations
    with gzip.open(images, "rt", encoding="utf-8", newline="") as f:
        _, counted = fragility_rows(list(csv.DictReader(f)))
    ties = {_key(r): {c: str(r[c]) for c in TIE_COLUMNS} for r in counted}
    return [r if r.get("eps_to_flip_modal", "") != "" else {**r, **ties.get(_key(r), {})}
            for r in correlations]
