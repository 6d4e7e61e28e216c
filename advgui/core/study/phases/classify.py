"""Classifying the images folder: every image's clean verdict in clean.csv (resumed batch by
batch from clean.partial.csv), its confidence tier (fixed thresholds, or the folder's quantiles),
and the seeded sample of each tier that the attacks work on."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Generator

import numpy as np

from advgui.core.model.hashing import sha256_file
from advgui.core.model.images import load_batch
from advgui.core.records.config import (CLEAN_COLUMNS, StudyProgress, quantile_thresholds,
                                        sample_rows, validate_clean_row)
from advgui.core.records.identity import PARTIAL_CLEAN
from advgui.core.records.row_log import RowLog, read_csv, write_csv
from advgui.core.study.phases.images import StudyImages
from advgui.core.study.phases.run_state import StudyRun
from advgui.core.tiers import Tier, TierThresholds


class Classifying(StudyImages):
    """Study's classify phase, and the classification and sample it gives the later phases."""

    def _classify(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """Every image's clean verdict in clean.csv (resumed from clean.partial.csv)."""
        run.clean_rows = yield from self.classify(run.should_stop)

    def classify(self, should_stop: Callable[[], bool]) -> Generator[StudyProgress, None, list[dict]]:
        """Every image's clean verdict. Rows go to clean.partial.csv batch by batch, so a killed
        or cancelled classification of a big folder resumes where it stopped; clean.csv is
        written once, whole, when every file is classified (and cut into quantile tiers)."""
        cfg, out = self.config, self.config.out / "clean.csv"
        key = lambda r: (r["file"],)  # noqa: E731
        if out.exists():  # checked whole by check_clean_record: read, never rewritten
            return read_csv(out, CLEAN_COLUMNS, validate_clean_row, key).rows
        log = RowLog(cfg.out / PARTIAL_CLEAN, CLEAN_COLUMNS, validate_clean_row, key=key)
        if log.repaired:
            self.notes.append(log.repaired)
        try:
            rows = list(log.rows)
            known = {r["file"] for r in rows}
            files = [f for f in self._list() if self._rel(f) not in known]
            if not files and not rows:
                raise ValueError(f"no image files in {cfg.folder}")
            counts = {t.value: sum(r["tier"] == t.value for r in rows) for t in Tier}
            total = len(rows) + len(files)
            for i in range(0, len(files), cfg.batch):
                if should_stop():
                    raise KeyboardInterrupt
                batch = self._classify_batch(files[i:i + cfg.batch])
                log.append(batch)
                for r in batch:
                    counts[r["tier"]] = counts.get(r["tier"], 0) + (r["status"] == "ok")
                rows += log.rows[-len(batch):]  # the log's own dicts: one copy of each row
                new = min(i + cfg.batch, len(files))
                yield StudyProgress("classify", total - len(files) + new, total,
                                    {t.value: counts[t.value] for t in Tier}, new=new)
        finally:
            log.close()
        if cfg.tiers == "quantile":
            cut = quantile_thresholds([float(r["top1_probability"]) for r in rows
                                       if r["status"] == "ok"])
            for r in rows:
                if r["status"] == "ok":
                    r["tier"] = cut.tier_of(float(r["top1_probability"])).value
        write_csv(out, CLEAN_COLUMNS, rows)
        (cfg.out / PARTIAL_CLEAN).unlink()
        return rows

    def _classify_batch(self, files: list[Path]) -> list[dict]:
        cfg = self.config
        loaded, pixels, failed = load_batch(files, self.classifier.preprocessing.load)
        rows: list[dict] = []
        for path, reason in failed:
            rows.append({"file": self._rel(path), "truth": self._truth(path), "tier": "",
                         "top1": "", "top1_name": "", "top1_probability": "",
                         "status": "skipped", "error": reason, "bytes": "", "sha256": "",
                         "study_id": self.id})
        if pixels:
            probs = self.classifier.probabilities(
                self.classifier.preprocessing.to_model(np.stack(pixels)))
            for path, p in zip(loaded, probs):
                top1 = int(p.argmax())
                rows.append({"file": self._rel(path), "truth": self._truth(path),
                             "tier": cfg.thresholds.tier_of(float(p.max())).value, "top1": top1,
                             "top1_name": self.classifier.classes.names[top1],
                             "top1_probability": f"{p.max():.6f}", "status": "ok", "error": "",
                             **self._file_facts(path), "study_id": self.id})
        return rows

    def _file_facts(self, path: Path) -> dict:
        try:
            return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
        except OSError:
            return {"bytes": "", "sha256": ""}

    def tier_thresholds(self, clean_rows: list[dict]) -> TierThresholds:
        """The thresholds the tiers were cut at (computed from the rows for quantile tiers)."""
        if self.config.tiers == "fixed":
            return self.config.thresholds
        return quantile_thresholds([float(r["top1_probability"]) for r in clean_rows
                                    if r["status"] == "ok"])

    def sample(self, clean_rows: list[dict]) -> list[dict]:
        """Up to per_tier images of each tier, drawn deterministically with the seed from the
        whole folder; a shard then keeps only its own files of that sample."""
        chosen = sample_rows(clean_rows, self.config.seed, self.config.per_tier)
        part = self.config.part
        return chosen if part is None else [r for r in chosen if part.holds(r["file"])]
