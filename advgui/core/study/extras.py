"""The study's per-attack extras scored on the saved 8-bit adversarials: transfer.csv (other
models) and destroy.csv (Kurakin's transformations). Rows are appended after each attack batch;
attack rows made before an extra was asked for, or lost to a kill between the two appends, are
scored again from the saved PNGs; the summaries are written at the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import advgui.core.study.destroy as destroy
import advgui.core.study.transfer as transfer
from advgui.core.analysis.extras_schema import DESTROY, TRANSFER, Extra
from advgui.core.model.classifier import Classifier
from advgui.core.records.row_log import RowLog, write_csv
from advgui.core.records.schema import image_key
from advgui.core.records.config import StudyConfig
from advgui.core.study.transfer import backfill_inputs

Scorer = Callable[[list[dict], list, list], list[dict]]  # (rows, clean crops, adversarials)


@dataclass(frozen=True)
class Scoring:
    """The study's half of an Extra kind: how its rows are checked and summarised (the files,
    keys and rates are the kind's, advgui.core.analysis.extras_schema)."""
    kind: Extra
    validate: Callable[[dict], str | None]
    summarize: Callable[[list[dict]], list[dict]]


SCORINGS = (Scoring(TRANSFER, transfer.validate_transfer_row, transfer.transfer_summary),
            Scoring(DESTROY, destroy.validate_destroy_row, destroy.destruction_summary))


class PairLog:
    """NAME.csv of one extra kind, appended as the attacks go; NAME_summary.csv at close."""

    def __init__(self, scoring: Scoring, classifier: Classifier, config: StudyConfig,
                 study_id: str, scorers: list[tuple[str, Scorer]]) -> None:
        self.scoring, self.kind = scoring, scoring.kind
        self.classifier, self.config, self.study_id = classifier, config, study_id
        self.scorers = scorers
        self.log: RowLog | None = None
        if scorers or (config.out / self.kind.csv).exists():
            self.log = RowLog(config.out / self.kind.csv, self.kind.columns, scoring.validate,
                              self.kind.key)

    def _missing(self, label: str, rows: list[dict]) -> list[dict]:
        done = {self.kind.key(r) for r in self.log.rows}
        return [r for r in rows if image_key(r) + (label,) not in done]

    def add_pairs(self, pairs) -> None:
        for label, score in self.scorers:
            if not pairs:
                return
            keep = {id(r) for r in self._missing(label, [p[0] for p in pairs])}
            sel = [p for p in pairs if id(p[0]) in keep]
            self.log.append(score([p[0] for p in sel], [p[1] for p in sel], [p[2] for p in sel]))

    def backfill(self, image_rows: list[dict], should_stop: Callable[[], bool]) -> None:
        """Score, from the saved PNGs, the attack rows an extra has not seen yet."""
        for label, score in self.scorers:
            todo = [r for r in self._missing(label, image_rows) if r["status"] == "ok"]
            for i in range(0, len(todo), self.config.batch):
                if should_stop():
                    raise KeyboardInterrupt
                rows, clean, adversarial = backfill_inputs(
                    self.config.folder, self.config.out, self.classifier,
                    todo[i:i + self.config.batch])
                self.log.append(score(rows, clean, adversarial))

    def close(self) -> None:
        if self.log is None:
            return
        self.log.close()
        if self.log.rows:
            write_csv(self.config.out / self.kind.summary_csv, self.kind.summary_columns,
                      self.scoring.summarize(self.log.rows))


def TransferLog(classifier: Classifier, config: StudyConfig, study_id: str) -> PairLog:
    """transfer.csv: each --transfer-to model (loaded now: a mistyped name fails at once), with
    its own preprocessing."""
    scorers = []
    for spec in config.transfer_to:
        model = transfer.load_transfer_model(spec, classifier.device.requested)
        if model.sha256 == classifier.sha256:
            raise ValueError(f"--transfer-to {spec} is the study's own model")
        scorers.append((model.name, lambda rows, c, a, m=model:
                        transfer.transfer_rows(m, rows, c, a, study_id)))
    return PairLog(SCORINGS[0], classifier, config, study_id, scorers)


def DestroyLog(classifier: Classifier, config: StudyConfig, study_id: str) -> PairLog:
    """destroy.csv: each --destroy transformation of every adversarial."""
    transforms = [destroy.Transform.parse(t) for t in config.destroy]
    scorers = [(str(t), lambda rows, c, a, t=t: destroy.destroy_rows(classifier, t, rows, c, a))
               for t in transforms]
    return PairLog(SCORINGS[1], classifier, config, study_id, scorers)
