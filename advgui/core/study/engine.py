"""The seed's experiment: classify a folder, sample images per confidence tier, attack each with
every method x target x eps, and report per image and per tier. Resumable into the same folder."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Generator

import numpy as np

from advgui.core.attacks import attack_class
from advgui.core.attacks.square import SQUARE_QUERIES
from advgui.core.model.classifier import Classifier
from advgui.core.model.hashing import sha256_file
from advgui.core.model.images import load_batch
from advgui.core.records.inputs import list_image_files
from advgui.core.model.labels import LabelsError, load_labels
from advgui.core.records.row_log import RowLog, read_csv, write_csv
from advgui.core.records.safe_write import (NO_SPACE, OutputError, atomic_write_json, check_free_space, describe_write_error,
                                    failed_file, open_folder, real_subfolder, refuse_links,
                                    sweep_temporaries)
from advgui.core.analysis.summary import summary_rows
from advgui.core.records.schema import IMAGE_COLUMNS, image_key, rescore_truth, validate_image_row
from advgui.core.records.config import (CLEAN_COLUMNS, METHODS, TIER_MODES,  # noqa: F401
                                      StudyConfig, StudyOutcome, StudyProgress,
                                      quantile_thresholds, sample_rows, validate_clean_row)
from advgui.core.records.folder import (StudyLock, read_definition, check_out_folder, folders_to_create,
                                       remove_created, study_folder_holding)
from advgui.core.study.batch import BatchAttacker
from advgui.core.records.identity import (PARTIAL_CLEAN, check_clean_record, check_folder,
                                          check_inputs, preprocessing_definition, study_id)
from advgui.core.study.feature_record import record_features
from advgui.core.study.parts import check_part, import_clean
from advgui.core.study.extras import (SCORINGS, PairLog, check_transfer_record, destroy_scorers,
                                      transfer_scorers)
from advgui.core.study.reports import new_manifest, read_manifest, write_reports
from advgui.core.tiers import Tier, TierThresholds
from advgui.core.wording import count_noun

# Bytes an attack result may take: a PNG of a photo at the model's size stays under 90 % of the
# raw pixels (the largest of 4,000 InceptionV3 results: 237,720 of 268,203 bytes), and its row.
PNG_SHARE = 0.9
ROW_BYTES = 600

def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


class Study:
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

    # -- phase 1 -------------------------------------------------------------------------------------
    def _rel(self, path: Path) -> str:
        return path.relative_to(self.config.folder).as_posix()

    def _truth(self, path: Path) -> int:
        return self.labels.truth(path, self.config.folder)

    def _check_labels_cover(self) -> None:
        """A labels file that names none of the images is a mistake, not 'no ground truth'."""
        if not self.labels.by_key:
            return
        files = self._list()
        listed = sum(self.labels.listed(f, self.config.folder) for f in files)
        if files and not listed:
            example = next(iter(self.labels.by_key))
            raise LabelsError(f"{self.labels.source} names none of the {len(files)} images in "
                              f"{self.config.folder} (it has keys like {example!r}, the folder "
                              f"files like {self._rel(files[0])!r})")
        if listed < len(files):
            self.notes.append(f"{self.labels.source} has no label for {len(files) - listed} of "
                              f"the {len(files)} images; they use wnid names or have no truth")

    def _list(self) -> list[Path]:
        """The images folder's files, walked once per run (the label check, the classification
        and the resume's input check all use it)."""
        if self._listing is not None:
            return self._listing
        files = list_image_files(self.config.folder, skip=(self.config.out,))
        usable = [f for f in files if _encodable(self._rel(f))]
        if len(usable) < len(files):  # a CSV cell cannot hold it; one bad name must not block all
            bad = next(f for f in files if not _encodable(self._rel(f)))
            note = (f"{len(files) - len(usable)} file name(s) are not valid UTF-8 and were left "
                    f"out (e.g. {self._rel(bad)!r}); rename them to include them")
            self.notes.append(note)
        self._listing = usable
        return usable

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

    def _file_facts(self, path: Path) -> dict:
        try:
            return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
        except OSError:
            return {"bytes": "", "sha256": ""}

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
        run = _Run(should_stop)
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

    def _lock(self, run: "_Run") -> Generator[StudyProgress, None, None]:
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

    def _identity(self, run: "_Run") -> Generator[StudyProgress, None, None]:
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

    def _manifest(self, run: "_Run") -> Generator[StudyProgress, None, None]:
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

    def _extras(self, run: "_Run") -> Generator[StudyProgress, None, None]:
        """The transfer models load (and their classes are matched to the study's) and the
        transformations parse before anything is written: a broken model or a mistyped
        transformation leaves a finished study as it was, and creates no new folder."""
        run.scorers = (transfer_scorers(self.classifier, self.config, self.id),
                       destroy_scorers(self.classifier, self.config))
        yield from ()

    def _extra_logs(self, run: "_Run") -> Generator[StudyProgress, None, None]:
        """transfer.csv and destroy.csv opened (repaired) under the lock, for this run's rows."""
        run.extras = [PairLog(scoring, self.classifier, self.config, self.id, scorers, self.notes)
                      for scoring, scorers in zip(SCORINGS, run.scorers)]
        yield from ()

    def _classify(self, run: "_Run") -> Generator[StudyProgress, None, None]:
        """Every image's clean verdict in clean.csv (resumed from clean.partial.csv)."""
        run.clean_rows = yield from self.classify(run.should_stop)

    def _resume_checks(self, run: "_Run") -> Generator[StudyProgress, None, None]:
        """The rows already here are this study's as the inputs are now: the labels re-score
        the rows they changed, and a resume refuses an images folder that gained files or whose
        sampled photos changed. Then the sample and what of it is done are known."""
        cfg = self.config
        run.log = self._open_images_log()
        if run.resumed:
            run.clean_rows, run.log = self._apply_labels(run.clean_rows, run.log)
        run.chosen = self.sample(run.clean_rows)
        run.manifest["tier_thresholds_used"] = asdict(self.tier_thresholds(run.clean_rows))
        if run.resumed:
            check_inputs(cfg.folder, [self._rel(p) for p in self._list()], run.clean_rows,
                         run.chosen)
            self._note_lost_pngs(run.log.rows)
        run.done = {image_key(r) for r in run.log.rows}
        yield from ()

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

    def _catch_up(self, run: "_Run") -> Generator[StudyProgress, None, None]:
        """Each extra scores, from the saved PNGs, the attack rows it has not seen (made before
        it was asked for, or lost to a kill between the two appends)."""
        for extra in run.extras:
            extra.backfill(run.log.rows, run.should_stop)
        yield from ()

    def _attack(self, run: "_Run") -> Generator[StudyProgress, None, None]:
        """Every sampled image attacked by every job of the config, in StudyConfig.jobs'
        order, skipping what is done; each batch's rows are appended, then its extras'. The
        free space for the rest is checked first."""
        cfg = self.config
        jobs = [] if cfg.classify_only else self.jobs
        done, chosen = run.done, run.chosen
        total = len(jobs) * len(chosen)
        finished = sum(1 for r in chosen for m, e, _, t in jobs
                       if (r["file"], m, str(t), e) in done)
        size = self.classifier.size
        check_free_space(cfg.out, (total - finished) * (int(PNG_SHARE * 3 * size * size)
                                                       + ROW_BYTES),
                         f"{total - finished:,} adversarial images and their rows")
        before = finished
        if finished < total:  # the phase and its first job show at once, not after a batch
            method, eps, _, target = next(j for j in jobs if any(
                (r["file"], j[0], str(j[3]), j[1]) not in done for r in chosen))
            yield StudyProgress("attack", finished, total, self._tier_counts(chosen),
                                f"{method} {target} eps {eps:g}", new=0)
        for method, eps, attack, target in jobs:
            todo = [r for r in chosen if (r["file"], method, str(target), eps) not in done]
            for i in range(0, len(todo), cfg.batch):
                if run.should_stop():
                    raise KeyboardInterrupt
                batch = todo[i:i + cfg.batch]
                rows = run.attacker.run(batch, method, eps, attack, target, run.should_stop)
                run.log.append(rows)
                for extra in run.extras:
                    extra.add_pairs(run.attacker.pairs)
                finished += len(batch)
                yield StudyProgress("attack", finished, total, self._tier_counts(chosen),
                                    f"{method} {target} eps {eps:g}", new=finished - before)

    def _features(self, run: "_Run") -> Generator[StudyProgress, None, None]:
        """features.npz brought up to the attack rows (feature_record.py), for the projection."""
        if run.log is None:
            return
        counts = self._tier_counts(run.chosen) if run.chosen else {}
        for done, total in record_features(self.classifier, self.config.folder, self.config.out,
                                           run.log.rows, self.config.batch, run.should_stop,
                                           self.notes):
            yield StudyProgress("features", done, total, counts, "penultimate features", new=done)

    def _close(self, run: "_Run") -> Generator[StudyProgress, None, None]:
        """images.csv and the extras' files are closed (the extras write their summaries)."""
        run.rows = run.log.rows if run.log else []
        run.close_log()
        for extra in run.extras:
            try:
                extra.close()
            except OSError as exc:  # a full disk: _reports says what was kept
                run.write_error = run.write_error or exc
        yield from ()

    def _reports(self, run: "_Run") -> Generator[StudyProgress, None, None]:
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

    def _open_images_log(self) -> RowLog:
        log = RowLog(self.config.out / "images.csv", IMAGE_COLUMNS, validate_image_row, image_key)
        if log.repaired:
            self.notes.append(log.repaired)
        return log

    def _check_identity(self) -> None:
        """Refuse rows of another study, whatever happened to study.json or manifest.json."""
        check_folder(self.config.out, self.definition, (CLEAN_COLUMNS, IMAGE_COLUMNS))

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

    def _clean_rows_or_empty(self) -> list[dict]:
        path = self.config.out / "clean.csv"
        if not path.exists():
            return []
        return read_csv(path, CLEAN_COLUMNS, validate_clean_row).rows

    @staticmethod
    def _tier_counts(chosen: list[dict]) -> dict[str, int]:
        return {t.value: sum(r["tier"] == t.value for r in chosen) for t in Tier}


@dataclass
class _Run:
    """What one run carries from phase to phase."""
    should_stop: Callable[[], bool]
    started: float = 0.0
    lock: StudyLock | None = None
    attacker: BatchAttacker | None = None
    earlier: dict = field(default_factory=dict)  # the manifest an earlier run wrote
    manifest: dict = field(default_factory=dict)
    resumed: bool = False
    scorers: tuple = ((), ())  # the transfer models' and the transformations' (extras.Scorer)
    extras: list = field(default_factory=list)
    clean_rows: list[dict] | None = None
    log: RowLog | None = None
    chosen: list[dict] = field(default_factory=list)
    done: set = field(default_factory=set)  # image_key of the rows there before the attacks
    rows: list[dict] = field(default_factory=list)
    cancelled: bool = False
    write_error: OSError | None = None
    outcome: StudyOutcome | None = None
    phase: str = ""
    created: list[Path] = field(default_factory=list)  # folders this run made, deepest first

    def close_log(self) -> None:
        if self.log is not None:
            self.log.close()
