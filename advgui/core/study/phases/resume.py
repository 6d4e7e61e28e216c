"""The resume's checks: the rows already in the folder are this study's as the inputs are now.
A corrected labels file re-scores the rows it changed; an images folder that gained files or
whose sampled photos changed is refused; attack rows whose PNGs went missing are named."""

from __future__ import annotations

from dataclasses import asdict
from typing import Generator

from advgui.core.records.config import CLEAN_COLUMNS, StudyProgress
from advgui.core.records.identity import check_inputs
from advgui.core.records.row_log import RowLog, write_csv
from advgui.core.records.schema import (IMAGE_COLUMNS, image_key, own_png, rescore_truth,
                                        validate_image_row)
from advgui.core.study.phases.images import StudyImages
from advgui.core.study.phases.run_state import StudyRun
from advgui.core.wording import count_noun


class Resuming(StudyImages):
    """Study's resume_checks phase (it runs on a fresh study too: it opens images.csv)."""

    def _resume_checks(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """The rows already here are this study's as the inputs are now: the labels re-score
        the rows they changed, and a resume refuses an images folder that gained files or whose
        sampled photos changed. Then the sample and what of it is done are known."""
        cfg = self.config
        run.log = self._open_images_log()
        if run.resumed:
            run.clean_rows, run.log = self._apply_labels(run.clean_rows, run.log)
            run.log = self._drop_rows_of_another_attack(run.log)
        run.chosen = self.sample(run.clean_rows)
        run.manifest["tier_thresholds_used"] = asdict(self.tier_thresholds(run.clean_rows))
        if run.resumed:
            check_inputs(cfg.folder, [self._rel(p) for p in self._list()], run.clean_rows,
                         run.chosen)
            self._note_lost_pngs(run.log.rows)
        run.done = {image_key(r) for r in run.log.rows}
        yield from ()

    def _open_images_log(self) -> RowLog:
        log = RowLog(self.config.out / "images.csv", IMAGE_COLUMNS, validate_image_row, image_key)
        if log.repaired:
            self.notes.append(log.repaired)
        return log

    def _names_another_png(self, row: dict) -> bool:
        """An ok row whose PNG is not the one its file, method, target and eps name: its eps or
        target was edited by hand (merge refuses such a row in a shard)."""
        if row["status"] != "ok":
            return False
        try:
            return row["adversarial_png"] != own_png(row, self.classifier.num_classes)
        except ValueError:
            return True

    def _drop_rows_of_another_attack(self, log: RowLog) -> RowLog:
        """Rows that say another attack than their PNG's are left out, said, and attacked
        again: kept, an eps-8 image was summarised as eps 9 beside the eps-8 row made again."""
        wrong = [self._names_another_png(r) for r in log.rows]
        if not any(wrong):
            return log
        log.close()  # rewritten below: appending to the replaced file would lose rows
        write_csv(log.path, IMAGE_COLUMNS, [r for r, w in zip(log.rows, wrong) if not w])
        first = log.rows[wrong.index(True)]
        n = sum(wrong)
        many = n != 1
        self.notes.append(
            f"{count_noun(n, 'row')} of images.csv {'say' if many else 'says'} another "
            f"attack than {'their' if many else 'its'} PNG (e.g. {first['file']!r}, "
            f"{first['method']} {first['target']} eps {first['eps']} with "
            f"{first['adversarial_png']!r}; edited by hand?): left out and attacked again")
        return self._open_images_log()

    def _apply_labels(self, clean_rows: list[dict], log: RowLog) -> tuple[list[dict], RowLog]:
        """Ground truth as the labels say now: a corrected labels file re-scores its rows.

        Both files are compared with the labels themselves, not with each other, so a run
        killed between the two rewrites is completed by the next one."""
        folder, names = self.config.folder, self.classifier.classes.names
        now = {r["file"]: self._truth(folder / r["file"]) for r in clean_rows}
        stale_clean = [r for r in clean_rows if int(r["truth"]) != now[r["file"]]]
        stale_rows = [r for r in log.rows if r["file"] in now and r["truth"] != str(now[r["file"]])]
        if not stale_clean and not stale_rows:
            return clean_rows, log
        log.close()  # rewritten below: appending to the replaced file would lose rows
        write_csv(log.path, IMAGE_COLUMNS,
                  [rescore_truth(r, now[r["file"]], names) if r["file"] in now else r
                   for r in log.rows])
        clean_rows = [dict(r, truth=str(now[r["file"]])) for r in clean_rows]
        write_csv(self.config.out / "clean.csv", CLEAN_COLUMNS, clean_rows)
        files = {r["file"] for r in stale_clean} | {r["file"] for r in stale_rows}
        self.notes.append(f"the labels of {len(files)} image{'s' if len(files) != 1 else ''} "
                          "changed since the last run; their rows were re-scored against the new "
                          "labels")
        return clean_rows, self._open_images_log()

    def _note_lost_pngs(self, rows: list[dict]) -> None:
        """A resume says which attack rows' PNGs were deleted or replaced since they were
        written (their rows stay: the row is the record of what the attack did)."""
        lost = [r["adversarial_png"] for r in rows if r["status"] == "ok" and r["adversarial_png"]
                and not (self.config.out / r["adversarial_png"]).is_file()]
        if lost:
            shown = ", ".join(lost[:3]) + (f" and {len(lost) - 3} more" if len(lost) > 3 else "")
            self.notes.append(
                f"{len(lost)} adversarial PNG{'s' if len(lost) != 1 else ''} of images.csv "
                f"{'are' if len(lost) != 1 else 'is'} missing from {self.config.out} ({shown}); "
                "their rows are kept, but transfer and destroy cannot score them. Restore the "
                "files, or delete those rows from images.csv and run again to attack them again")
