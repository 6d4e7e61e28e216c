"""The study's per-attack extras scored on the saved 8-bit adversarials: transfer.csv (other
models) and destroy.csv (Kurakin's transformations). Rows are appended after each attack batch;
attack rows made before an extra was asked for, or lost to a kill between the two appends, are
scored again from the saved PNGs; the summaries are written at the end."""

from __future__ import annotations

from typing import Callable

from advgui.core.model.classifier import Classifier
from advgui.core.records.row_log import RowLog, write_csv
from advgui.core.analysis.summary import image_key
from advgui.core.records.config import StudyConfig
from advgui.core.study.transfer import backfill_inputs

Scorer = Callable[[list[dict], list, list], list[dict]]  # (rows, clean crops, adversarials)


class PairLog:
    name = ""  # transfer / destroy: the CSV files' stem
    columns: list[str] = []
    summary_columns: list[str] = []

    def __init__(self, classifier: Classifier, config: StudyConfig, study_id: str,
                 scorers: list[tuple[str, Scorer]]) -> None:
        self.classifier, self.config, self.study_id = classifier, config, study_id
        self.scorers = scorers
        self.log: RowLog | None = None
        if scorers or (config.out / f"{self.name}.csv").exists():
            self.log = RowLog(config.out / f"{self.name}.csv", self.columns, self.validate,
                              self.key)

    # the kind's own rules
    def key(self, row: dict) -> tuple: ...
    def validate(self, row: dict) -> str | None: ...
    def summarize(self, rows: list[dict]) -> list[dict]: ...

    def _missing(self, label: str, rows: list[dict]) -> list[dict]:
        done = {self.key(r) for r in self.log.rows}
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
            write_csv(self.config.out / f"{self.name}_summary.csv", self.summary_columns,
                      self.summarize(self.log.rows))


class TransferLog(PairLog):
    name = "transfer"

    def __init__(self, classifier: Classifier, config: StudyConfig, study_id: str) -> None:
        import advgui.core.study.transfer as transfer  # noqa: PLC0415

        self.columns, self.summary_columns = transfer.TRANSFER_COLUMNS, transfer.SUMMARY_COLUMNS
        self._t = transfer
        scorers = []
        for spec in config.transfer_to:
            model = transfer.load_transfer_model(spec, classifier.device.requested)
            if model.sha256 == classifier.sha256:
                raise ValueError(f"--transfer-to {spec} is the study's own model")
            scorers.append((model.name, lambda rows, c, a, m=model:
                            transfer.transfer_rows(m, rows, c, a, study_id)))
        super().__init__(classifier, config, study_id, scorers)

    def key(self, row: dict) -> tuple:
        return self._t.transfer_key(row)

    def validate(self, row: dict) -> str | None:
        return self._t.validate_transfer_row(row)

    def summarize(self, rows: list[dict]) -> list[dict]:
        return self._t.transfer_summary(rows)


class DestroyLog(PairLog):
    name = "destroy"

    def __init__(self, classifier: Classifier, config: StudyConfig, study_id: str) -> None:
        import advgui.core.study.destroy as destroy  # noqa: PLC0415

        self.columns, self.summary_columns = destroy.DESTROY_COLUMNS, destroy.SUMMARY_COLUMNS
        self._d = destroy
        transforms = [destroy.Transform.parse(t) for t in config.destroy]
        scorers = [(str(t), lambda rows, c, a, t=t: destroy.destroy_rows(classifier, t, rows, c, a))
                   for t in transforms]
        super().__init__(classifier, config, study_id, scorers)

    def key(self, row: dict) -> tuple:
        return self._d.destroy_key(row)

    def validate(self, row: dict) -> str | None:
        return self._d.validate_destroy_row(row)

    def summarize(self, rows: list[dict]) -> list[dict]:
        return self._d.destruction_summary(rows)
