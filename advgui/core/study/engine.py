"""The seed's experiment: classify a folder, sample images per confidence tier, attack each with
every method x target x eps, and report per image and per tier. Resumable into the same folder.

Study holds what makes a run this study (its definition and id) and the run's protocol: the
phases in order, what a cancel, a full disk or a refusal does to each. The phases themselves are
in phases/ (opening, classify, resume, attack, finish), one group a module."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Generator

from advgui.core.attacks.square import SQUARE_QUERIES
from advgui.core.model.classifier import Classifier
from advgui.core.model.labels import load_labels
from advgui.core.records.config import StudyConfig, StudyOutcome, StudyProgress
from advgui.core.records.folder import read_definition, remove_created, study_folder_holding
from advgui.core.records.identity import preprocessing_definition, study_id
from advgui.core.records.safe_write import NO_SPACE, OutputError, describe_write_error
from advgui.core.study.phases.attack import Attacking
from advgui.core.study.phases.classify import Classifying
from advgui.core.study.phases.finish import Finishing
from advgui.core.study.phases.opening import Opening
from advgui.core.study.phases.resume import Resuming
from advgui.core.study.phases.run_state import StudyRun


class Study(Opening, Classifying, Resuming, Attacking, Finishing):
    """One study of a classifier on an images folder, written to config.out; run() runs it
    (or resumes it) phase by phase."""

    def __init__(self, classifier: Classifier, config: StudyConfig) -> None:
        if not config.folder.is_dir():
            raise ValueError(f"images folder not found: {config.folder}")
        inside = study_folder_holding(config.folder)
        if inside is not None:
            raise ValueError(f"{config.folder} is inside the advgui study folder {inside}: its "
                             "images are a study's results, not photos to study")
        self.classifier, self.config = classifier, config
        self.attacks = config.attacks()
        made = {(method, eps): attack for method, eps, attack in self.attacks}
        self.jobs = [(method, eps, made[method, eps], target)
                     for method, eps, target in config.jobs(classifier.num_classes)]
        self.labels = load_labels(config.folder, classifier.num_classes, classifier.classes.ids,
                                  config.labels_csv)
        self.definition = self._definition()
        self.id = study_id(self.definition)
        self.notes: list[str] = []  # what this run repaired or re-scored, for the user
        self._listing: list[Path] | None = None
        self._check_labels_cover()
        self._adversarial_fd: int | None = None

    def _definition(self) -> dict:
        """What makes two runs one study (its hash is every row's study_id)."""
        c, cfg = self.classifier, self.config
        queries = cfg.queries
        kept = read_definition(cfg.out) if cfg.out.is_dir() else None
        kept_queries = (kept or {}).get("definition", {}).get("queries")
        if {queries, kept_queries} <= {None, SQUARE_QUERIES}:
            # --queries 1000 is Square's default: the same study as no --queries, whichever
            # of the two its first run was given (the id keeps the first run's spelling)
            queries = kept_queries if kept else queries
        return json.loads(json.dumps({
            "model_sha256": c.sha256, "classes": c.num_classes,
            "preprocessing": preprocessing_definition(c.preprocessing), "tiers": cfg.tiers,
            "thresholds": asdict(cfg.thresholds) if cfg.tiers == "fixed" else None,
            "seed": cfg.seed, "per_tier": cfg.per_tier,
            "alpha": 1.0 if cfg.alpha is None else cfg.alpha,  # --alpha 1 is the default
            "steps": cfg.steps,
            # only when set: a study from before the query budget existed keeps its id
            **({"queries": queries} if queries is not None else {}),
            "class_ids": hashlib.sha256("\n".join(c.classes.ids).encode()).hexdigest()[:16],
        }))

    # -- the run, phase by phase ---------------------------------------------------------------------
    # The order of PHASES is the study's integrity protocol: what the command asks for (the
    # transfer models, the transformations) is loaded and checked before anything is created;
    # nothing is written before the lock is held; nothing but the lock file before the folder is proven to be this study's; no
    # photo is attacked before the resume has proven the photos are the ones classified. The
    # phases in INTERRUPTIBLE stop on a cancel (should_stop) or a failed write and keep what is
    # finished; the phases after them then close the files and write the reports as usual.
    PHASES = ("extras", "lock", "identity", "manifest", "extra_logs", "classify", "resume_checks", "catch_up",
              "attack", "features", "close", "reports")

    INTERRUPTIBLE = ("classify", "resume_checks", "catch_up", "attack", "features")

    # A run that fails in these phases has done no work: it is a refusal (a mistyped transfer
    # model, a foreign --clean-from...), and the output folders it created are removed again.
    BEFORE_WORK = ("lock", "identity", "manifest", "extras")

    def run(self, should_stop: Callable[[], bool] = lambda: False
            ) -> Generator[StudyProgress, None, StudyOutcome]:
        """The whole study: every phase of PHASES in order, holding the output folder's lock
        from before the first read."""
        run = StudyRun(should_stop)
        refused = False
        try:
            for name in self.PHASES:
                if name in self.INTERRUPTIBLE and (run.cancelled or run.write_error):
                    continue
                run.phase = name
                try:
                    yield from getattr(self, "_" + name)(run)
                except KeyboardInterrupt:
                    if name not in self.INTERRUPTIBLE:
                        raise
                    run.cancelled = True
                except OutputError:
                    run.close_log()
                    raise
                except OSError as exc:  # disk full or folder gone mid-run: keep what is finished
                    if name not in self.INTERRUPTIBLE:
                        run.close_log()
                        if exc.errno in NO_SPACE:
                            raise self._write_failed(name, exc) from exc
                        raise
                    run.write_error = exc
                except BaseException:
                    run.close_log()
                    raise
            return run.outcome
        except Exception:
            refused = run.phase in self.BEFORE_WORK
            raise
        finally:
            if self._adversarial_fd is not None:
                os.close(self._adversarial_fd)
                self._adversarial_fd = None
            if run.lock is not None:
                run.lock.release()
            if refused:
                remove_created(run.created)

    def _write_failed(self, phase: str, exc: OSError) -> OutputError:
        """One line for a full disk outside the interruptible phases (while the manifest or a
        report is written): which file, what was kept, what to do."""
        where = exc.filename or self.config.out
        return OutputError(
            f"writing {where} failed ({describe_write_error(exc)}) while the study's {phase} "
            "was written; every finished row is kept in the folder's CSV files. "
            + "Free some space, then run the same study again to resume.")
