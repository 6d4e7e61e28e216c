"""The study's transfer.csv: rows appended after each attack batch, rows of attacks made before a
transfer model was added (or lost to a kill between the two appends) made again from the saved
PNGs, and transfer_summary.csv at the end."""

from __future__ import annotations

from typing import Callable

from advgui.core.classifier import Classifier
from advgui.core.report import RowLog, write_csv
from advgui.core.scoring import image_key
from advgui.core.study_config import StudyConfig
from advgui.core.transfer import (SUMMARY_COLUMNS, TRANSFER_COLUMNS, backfill_inputs,
                                  transfer_key, transfer_rows, transfer_summary,
                                  validate_transfer_row)


class TransferLog:
    def __init__(self, classifier: Classifier, config: StudyConfig, study_id: str) -> None:
        from advgui.core.registry import load_classifier  # noqa: PLC0415

        self.classifier, self.config, self.study_id = classifier, config, study_id
        self.models: list[Classifier] = []
        for spec in config.transfer_to:
            model = load_classifier(spec, device=classifier.device.requested)
            if model.sha256 == classifier.sha256:
                raise ValueError(f"--transfer-to {spec} is the study's own model")
            self.models.append(model)
        self.log: RowLog | None = None
        if self.models or (config.out / "transfer.csv").exists():
            self.log = RowLog(config.out / "transfer.csv", TRANSFER_COLUMNS,
                              validate_transfer_row, transfer_key)

    def _missing(self, model: Classifier, rows: list[dict]) -> list[dict]:
        done = {transfer_key(r) for r in self.log.rows}
        return [r for r in rows if image_key(r) + (model.name,) not in done]

    def add_pairs(self, pairs) -> None:
        if not self.models or not pairs:
            return
        rows = [p[0] for p in pairs]
        for model in self.models:
            keep = {id(r) for r in self._missing(model, rows)}
            sel = [p for p in pairs if id(p[0]) in keep]
            self.log.append(transfer_rows(model, [p[0] for p in sel], [p[1] for p in sel],
                                          [p[2] for p in sel], self.study_id))

    def backfill(self, image_rows: list[dict], should_stop: Callable[[], bool]) -> None:
        """Score, from the saved PNGs, the attack rows a transfer model has not seen yet."""
        for model in self.models:
            todo = [r for r in self._missing(model, image_rows) if r["status"] == "ok"]
            for i in range(0, len(todo), self.config.batch):
                if should_stop():
                    raise KeyboardInterrupt
                rows, clean, adversarial = backfill_inputs(
                    self.config.folder, self.config.out, self.classifier,
                    todo[i:i + self.config.batch])
                self.log.append(transfer_rows(model, rows, clean, adversarial, self.study_id))

    def close(self) -> None:
        if self.log is None:
            return
        self.log.close()
        if self.log.rows:
            write_csv(self.config.out / "transfer_summary.csv", SUMMARY_COLUMNS,
                      transfer_summary(self.log.rows))
