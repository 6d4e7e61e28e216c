"""The phases before any work (Study.BEFORE_WORK, and the extras' logs): what the command asks
for loads and parses, the output folder's lock is taken (the first thing written), the folder is
proven to hold this study and this shard and nothing that is not ours, and manifest.json says a
run started. A run refused here leaves the folder as it was."""

from __future__ import annotations

import os
import time
from typing import Generator

from advgui.core.attacks import attack_class
from advgui.core.records.config import CLEAN_COLUMNS, StudyProgress, validate_clean_row
from advgui.core.records.folder import StudyLock, check_out_folder, folders_to_create
from advgui.core.records.identity import PARTIAL_CLEAN, check_clean_record, check_folder
from advgui.core.records.safe_write import (OutputError, atomic_write_json, describe_write_error,
                                            open_folder, real_subfolder, refuse_links,
                                            sweep_temporaries)
from advgui.core.records.schema import IMAGE_COLUMNS
from advgui.core.study.batch import BatchAttacker
from advgui.core.study.extras import (SCORINGS, PairLog, check_transfer_record, destroy_scorers,
                                      transfer_scorers)
from advgui.core.study.parts import check_part, import_clean
from advgui.core.study.phases.images import StudyImages
from advgui.core.study.phases.run_state import StudyRun
from advgui.core.study.reports import new_manifest, read_manifest


class Opening(StudyImages):
    """Study's phases extras, lock, identity, manifest and extra_logs."""

    def _extras(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """The transfer models load (and their classes are matched to the study's) and the
        transformations parse before anything is written: a broken model or a mistyped
        transformation leaves a finished study as it was, and creates no new folder."""
        run.scorers = (transfer_scorers(self.classifier, self.config, self.id),
                       destroy_scorers(self.classifier, self.config))
        yield from ()

    def _lock(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """Fail before any work (a model the gradient builder cannot handle, a folder that is
        not a study, a folder another run holds), then take the folder's lock. The lock file
        is the first thing written (it proves the folder writable): a run killed at any later
        point leaves a folder that is recognisably a study."""
        cfg = self.config
        if any(attack_class(m).uses_gradient for m in cfg.methods) and not cfg.classify_only:
            self.classifier.ensure_gradient()  # a gradient-free study runs on any classifier
        check_out_folder(cfg.out)
        if cfg.out.is_symlink() and not cfg.out.exists():
            raise OutputError(f"--out {cfg.out} is a link to {os.readlink(cfg.out)}, which does "
                              "not exist; nothing was written. Give a folder, or create the "
                              "link's target first")
        run.created = folders_to_create(cfg.out)
        try:
            cfg.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write to the output folder {cfg.out}: "
                              f"{describe_write_error(exc)}") from exc
        run.lock = StudyLock(cfg.out).acquire()
        run.started = time.time()  # the run's own time starts with the lock held
        yield from ()

    def _identity(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """The folder holds this study, this shard and nothing that is not ours: what another
        folder or an earlier run must agree with is checked before this run writes anything
        here (a refused run leaves the folder as it was); a killed run's temporaries are swept
        (no writer is left); then study.json is (re)written for this definition."""
        cfg = self.config
        check_part(cfg.out, read_manifest(cfg.out), cfg.shard)
        if cfg.clean_from is not None:
            import_clean(cfg, self.definition, [self._rel(f) for f in self._list()])
        adversarial = real_subfolder(cfg.out, "adversarial")
        self._adversarial_fd = open_folder(adversarial)
        run.attacker = BatchAttacker(self.classifier, cfg.folder, self.id, adversarial,
                                     self._adversarial_fd)
        for folder in (cfg.out, adversarial):
            sweep_temporaries(folder)
        refuse_links(cfg.out, ("clean.csv", PARTIAL_CLEAN, "images.csv"))
        check_clean_record(cfg.out, CLEAN_COLUMNS, validate_clean_row)
        check_transfer_record(cfg.out, run.scorers[0])
        self._check_identity()
        yield from ()

    def _check_identity(self) -> None:
        """Refuse rows of another study, whatever happened to study.json or manifest.json."""
        check_folder(self.config.out, self.definition, (CLEAN_COLUMNS, IMAGE_COLUMNS))

    def _manifest(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """manifest.json says a run of this config started. A resumed study keeps when it first
        started, how many runs it took and how long all its runs took together."""
        cfg = self.config
        run.earlier = read_manifest(cfg.out)
        manifest = new_manifest(self.classifier, cfg, self.attacks, run.started)
        manifest["first_started"] = run.earlier.get("first_started", run.earlier.get(
            "started", manifest["started"]))
        manifest["runs"] = int(run.earlier.get("runs", 0)) + 1
        atomic_write_json(cfg.out / "manifest.json", manifest)
        run.manifest = manifest
        if cfg.shard and cfg.clean_from is None and not (cfg.out / "clean.csv").exists():
            self.notes.append("this shard classified the whole folder itself; classify it once "
                              "with --classify-only and give the shards --clean-from")
        run.resumed = (cfg.out / "clean.csv").exists() or (cfg.out / PARTIAL_CLEAN).exists()
        yield from ()

    def _extra_logs(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """transfer.csv and destroy.csv opened (repaired) under the lock, for this run's rows."""
        run.extras = [PairLog(scoring, self.classifier, self.config, self.id, scorers, self.notes)
                      for scoring, scorers in zip(SCORINGS, run.scorers)]
        yield from ()
