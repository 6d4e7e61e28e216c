"""The two kinds of per-attack extras a study may score, transfer (other models) and destroy
(Kurakin's transformations), as one spec each: their CSV files and columns, what names a row,
which summary column is the rate and how it is printed and labelled.

Every reader and writer goes through these specs: the run and merge (advgui.core.study), the
side-by-side table, the batch dialog and the CLI printer; so a study without true labels shows
the same rate, in the same format, wherever it is shown. Pure: reading and printing the
summaries never loads a model (the scoring lives in advgui.core.study.transfer / destroy).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from advgui.core.analysis.tables import format_rate
from advgui.core.records.schema import (DESTROY_COLUMNS, DESTROY_SUMMARY_COLUMNS, TRANSFER_COLUMNS,
                                        TRANSFER_SUMMARY_COLUMNS, eps_key)
from advgui.core.records.row_log import read_csv




@dataclass(frozen=True)
class Extra:
    name: str  # the CSV files' stem: NAME.csv (one row per attack row and scorer), NAME_summary.csv
    by: str  # the column naming the scorer: a transfer model, a transformation
    columns: list[str]
    summary_columns: list[str]
    truth_rate: str  # the summary column that is the rate when the study has true labels
    clean_rate: str  # ... and when it has none (counted against the clean prediction)
    rate_n: str | None  # the column holding the rate's denominator, where not rate + "_n"
    label: str  # a dialog column's heading, {x} the scorer; {rate} what the rate counts
    short_label: str  # a Markdown column's heading
    title: str  # the printer's heading

    @property
    def csv(self) -> str:
        return f"{self.name}.csv"

    @property
    def summary_csv(self) -> str:
        return f"{self.name}_summary.csv"

    def key(self, row: dict) -> tuple:
        """What names a row of NAME.csv: its attack row's key (images.csv's) and the scorer."""
        return row["file"], row["method"], row["target"], eps_key(row["eps"]), row[self.by]

    def rate_key(self, truth: bool) -> str:
        return self.truth_rate if truth else self.clean_rate

    def rate(self, row: dict, truth: bool) -> str:
        """'41.2 % [34.1, 48.7] n=120' (format_rate: the one format of every rate shown)."""
        key = self.rate_key(truth)
        if self.rate_n is not None:
            row = {**row, key + "_n": row[self.rate_n]}
        return format_rate(row, key)

    def heading(self, scorer: str, truth: bool, short: bool = False) -> str:
        """The heading of scorer's column, saying what its rate counts."""
        return (self.short_label if short else self.label).format(
            x=scorer, rate="error" if truth else "changed", short="" if truth else " changed")

    def read_summary(self, out: Path, notes: list[str]) -> list[dict]:
        """NAME_summary.csv as far as it is sound; what is not is named in notes (the next run
        of the study writes it again from its rows), never a traceback."""
        path = out / self.summary_csv
        if not path.is_file():
            return []
        try:
            contents = read_csv(path, self.summary_columns, _numbers_ok)
        except (OSError, ValueError) as exc:
            why = str(exc).split(";")[0]
            notes.append(f"{path.name} could not be read ({why}); it is left out. The next run "
                         "of the study writes it again from its rows.")
            return []
        if contents.damaged:
            notes.append(f"{contents.describe_dropped()}; the next run of the study writes it "
                         "again from its rows")
        return contents.rows


WORDS = {"model", "transform", "tier", "method", "target"}  # every other cell is a number


def _numbers_ok(row: dict) -> str | None:
    for k, v in row.items():
        if k in WORDS:
            continue
        try:
            float(v)
        except (TypeError, ValueError):
            return f"{k} is {v!r}, not a number"
    return None


# Transfer: the model's top-1 error vs truth among the images it got right when clean; without
# true labels, how often its own top-1 changed.
TRANSFER = Extra("transfer", "model", TRANSFER_COLUMNS, TRANSFER_SUMMARY_COLUMNS,
                 truth_rate="top1_error_truth", clean_rate="top1_changed", rate_n=None,
                 label="→ {x} top-1 {rate}", short_label="→ {x} top-1{short}",
                 title="Transfer (the same 8-bit adversarials, scored by other models; top-1 "
                       "error vs truth among images each got right when clean, or without true "
                       "labels how often its own top-1 changed):")
# Destroy: Kurakin's d, counted against the truth or else the clean prediction (one column).
DESTROY = Extra("destroy", "transform", DESTROY_COLUMNS, DESTROY_SUMMARY_COLUMNS,
                truth_rate="destruction_rate", clean_rate="destruction_rate", rate_n="counted",
                label="{x} destroys", short_label="{x} d",
                title="Destruction rate (Kurakin et al. 2016: of the images right when clean and "
                      "wrong when attacked, the share a transformation makes right again):")
EXTRAS = (TRANSFER, DESTROY)
