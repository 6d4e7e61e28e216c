"""The study's per-attack extras scored on the saved 8-bit adversarials: transfer.csv (other
models) and destroy.csv (Kurakin's transformations). Rows are appended after each attack batch;
attack rows made before an extra was asked for, or lost to a kill between the two appends, are
scored again from the saved PNGs; the summaries are written at the end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import advgui.core.study.destroy as destroy
import advgui.core.study.transfer as transfer
from advgui.core.analysis.extras_schema import DESTROY, TRANSFER, Extra
from advgui.core.model.classifier import Classifier
from advgui.core.records.row_log import RowLog, read_csv, write_csv
from advgui.core.records.schema import image_key
from advgui.core.records.config import StudyConfig
from advgui.core.study.transfer import backfill_inputs

ScoreFn = Callable[[list[dict], list, list], list[dict]]  # (rows, clean crops, adversarials)


@dataclass(frozen=True)
class Scoring:
    """The study's half of an Extra kind: how its rows are checked and summarised (the files,
    keys and rates are the kind's, advgui.core.analysis.extras_schema)."""
    kind: Extra
    validate: Callable[[dict], str | None]
    summarize: Callable[[list[dict]], list[dict]]


SCORINGS = (Scoring(TRANSFER, transfer.validate_transfer_row, transfer.transfer_summary),
            Scoring(DESTROY, destroy.validate_destroy_row, destroy.destruction_summary))


MAX_SHOWN = 3


@dataclass(frozen=True)
class Scorer:
    """One scorer of an extra: its label (the row's model or transform cell), what identifies
    it beyond the label (a transfer model's SHA-256; '' for a transformation) and the scoring."""
    label: str
    sha256: str
    score: ScoreFn
    given: str = ""  # as the command gave it (a transfer model's path or shipped name)


class PairLog:
    """NAME.csv of one extra kind, appended as the attacks go; NAME_summary.csv at close."""

    def __init__(self, scoring: Scoring, classifier: Classifier, config: StudyConfig,
                 study_id: str, scorers: list[Scorer], notes: list[str]) -> None:
        self.scoring, self.kind = scoring, scoring.kind
        self.classifier, self.config, self.study_id = classifier, config, study_id
        self.scorers, self.notes = scorers, notes
        self.unscored = 0  # attack rows the catch-up could not score (a lost or damaged file)
        self.log: RowLog | None = None
        if scorers or (config.out / self.kind.csv).exists():
            self.log = RowLog(config.out / self.kind.csv, self.kind.columns, scoring.validate,
                              self.kind.key)

    def _missing(self, label: str, rows: list[dict]) -> list[dict]:
        done = {self.kind.key(r) for r in self.log.rows}
        return [r for r in rows if image_key(r) + (label,) not in done]

    def add_pairs(self, pairs) -> None:
        for scorer in self.scorers:
            if not pairs:
                return
            keep = {id(r) for r in self._missing(scorer.label, [p[0] for p in pairs])}
            sel = [p for p in pairs if id(p[0]) in keep]
            self.log.append(scorer.score([p[0] for p in sel], [p[1] for p in sel],
                                         [p[2] for p in sel]))

    def backfill(self, image_rows: list[dict], should_stop: Callable[[], bool]) -> None:
        """Score, from the saved PNGs, the attack rows an extra has not seen yet; the rows
        whose photo or PNG is gone or damaged are named in a note and counted."""
        for scorer in self.scorers:
            todo = [r for r in self._missing(scorer.label, image_rows) if r["status"] == "ok"]
            failed: list[tuple[str, str]] = []
            for i in range(0, len(todo), self.config.batch):
                if should_stop():
                    raise KeyboardInterrupt
                rows, clean, adversarial, lost = backfill_inputs(
                    self.config.folder, self.config.out, self.classifier,
                    todo[i:i + self.config.batch])
                failed += lost
                self.log.append(scorer.score(rows, clean, adversarial))
            if failed:
                self.unscored += len(failed)
                shown = "; ".join(f"{f} ({why})" for f, why in failed[:MAX_SHOWN])
                more = f"; and {len(failed) - MAX_SHOWN} more" if len(failed) > MAX_SHOWN else ""
                self.notes.append(
                    f"{self.kind.csv}: {len(failed)} of {len(todo)} attack rows were not scored "
                    f"by {scorer.label} ({shown}{more}); their rows in images.csv are kept. "
                    "Restore those files and run the study again to score them")

    def close(self) -> None:
        if self.log is None:
            return
        self.log.close()
        if self.log.rows:
            write_csv(self.config.out / self.kind.summary_csv, self.kind.summary_columns,
                      self.scoring.summarize(self.log.rows))


def transfer_scorers(classifier: Classifier, config: StudyConfig, study_id: str
                     ) -> list[Scorer]:
    """Each --transfer-to model, loaded and checked now (before the study writes anything): a
    mistyped name, a file that is not a model, the study's own model, two different models of
    one name or classes that cannot be matched to the study's are refused at once."""
    scorers: list[Scorer] = []
    for spec in config.transfer_to:
        model = transfer.load_transfer_model(spec, classifier.device.requested)
        if model.sha256 == classifier.sha256:
            raise ValueError(f"--transfer-to {spec} is the study's own model")
        same = [s for s in scorers if s.label == model.name]
        if same and same[0].sha256 != model.sha256:
            raise ValueError(
                f"--transfer-to {spec}: another of the transfer models is also named "
                f"{model.name!r} but is a different model (SHA-256 {same[0].sha256[:16]}, this "
                f"one {model.sha256[:16]}); rows are named by the model, so rename one file")
        if same:
            continue  # the same model given twice
        truth_of = transfer.class_map(classifier, model, spec)
        scorers.append(Scorer(model.name, model.sha256, lambda rows, c, a, m=model, t=truth_of:
                               transfer.transfer_rows(m, rows, c, a, study_id, t), spec))
    return scorers


def destroy_scorers(classifier: Classifier, config: StudyConfig) -> list[Scorer]:
    """Each --destroy transformation, parsed now (a typo is refused before any write)."""
    transforms = list(dict.fromkeys(destroy.Transform.parse(t) for t in config.destroy))
    return [Scorer(str(t), "", lambda rows, c, a, t=t: destroy.destroy_rows(classifier, t, rows,
                                                                            c, a))
            for t in transforms]


def check_transfer_record(out: Path, scorers: list[Scorer]) -> None:
    """A resume's transfer models are the models transfer.csv's rows were scored by: a model
    of the same name with another SHA-256 would mix two models under one name."""
    path = out / TRANSFER.csv
    if not scorers or not path.is_file():
        return
    recorded: dict[str, str] = {}
    for r in read_csv(path, TRANSFER.columns).rows:
        recorded.setdefault(r["model"], r["model_sha256"])
    for s in scorers:
        kept = recorded.get(s.label)
        if kept and not s.sha256.startswith(kept):
            raise ValueError(
                f"{path}: its rows named {s.label!r} were scored by the model with SHA-256 "
                f"{kept}, but --transfer-to {s.given} is a different {s.label!r} (SHA-256 "
                f"{s.sha256[:16]}); nothing was changed. Give the model the study used, or "
                "rename this one so its rows are told apart")
