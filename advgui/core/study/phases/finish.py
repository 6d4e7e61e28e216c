"""The study's end, which runs after a cancel or a failed write too: images.csv and the extras'
files are closed, then the summary, fragility, figures and the finished manifest are written
from this run's rows, and a failed write is reported with how to resume."""

from __future__ import annotations

import time
from typing import Generator

from advgui.core.analysis.summary import summary_rows
from advgui.core.records.config import (CLEAN_COLUMNS, StudyOutcome, StudyProgress,
                                        validate_clean_row)
from advgui.core.records.row_log import read_csv
from advgui.core.records.safe_write import (NO_SPACE, OutputError, describe_write_error,
                                            failed_file)
from advgui.core.study.phases.images import StudyImages
from advgui.core.study.phases.run_state import StudyRun
from advgui.core.study.reports import write_reports
from advgui.core.wording import count_noun


class Finishing(StudyImages):
    """Study's close and reports phases."""

    def _close(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """images.csv and the extras' files are closed (the extras write their summaries)."""
        run.rows = run.log.rows if run.log else []
        run.close_log()
        for extra in run.extras:
            try:
                extra.close()
            except OSError as exc:  # a full disk: _reports says what was kept
                run.write_error = run.write_error or exc
        yield from ()

    def _reports(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """The summary, fragility, figures and the finished manifest, from this run's rows. A
        failed write is reported with how to resume; the rows stay in images.csv."""
        cfg, rows, started = self.config, run.rows, run.started
        summary = summary_rows(rows)
        run.manifest.update(finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                            cancelled=run.cancelled, rows=len(rows),
                            seconds=round(time.time() - started, 1),
                            seconds_all_runs=round(float(run.earlier.get("seconds_all_runs", 0.0))
                                                   + time.time() - started, 1),
                            notes=self.notes)
        write_error = run.write_error
        try:
            summary = write_reports(cfg.out, rows, run.manifest,
                                    f"{self.classifier.name} on {cfg.folder.name}: "
                                    f"{count_noun(len({r['file'] for r in rows}), 'image')}")
        except OSError as exc:
            write_error = write_error or exc
        if write_error is not None:
            raise OutputError(
                f"writing the results to {failed_file(write_error, cfg.out)} failed "
                f"({describe_write_error(write_error)}); "
                f"the study stopped with {len(rows):,} finished rows kept in images.csv"
                + "".join(f" and {len(e.log.rows):,} in {e.kind.csv}" for e in run.extras
                          if e.log is not None) + ". "
                + ("Free some space" if write_error.errno in NO_SPACE else "Put that right")
                + ", then run the same study again to resume.") from write_error
        # The rows this run holds already, not a second copy read back (50,000 rows: 65 MB).
        clean = run.clean_rows if run.clean_rows is not None else self._clean_rows_or_empty()
        skipped = [(r["file"], r["error"]) for r in clean if r["status"] != "ok"]
        run.outcome = StudyOutcome(len(rows), summary, skipped, run.cancelled,
                                   time.time() - started,
                                   len(rows) - len(run.done) if run.log else 0, list(self.notes),
                                   run.manifest.get("fragility", []),
                                   sum(e.unscored for e in run.extras))
        yield from ()

    def _clean_rows_or_empty(self) -> list[dict]:
        path = self.config.out / "clean.csv"
        if not path.exists():
            return []
        return read_csv(path, CLEAN_COLUMNS, validate_clean_row).rows
