"""The seed's experiment: classify a folder, sample images per confidence tier, attack each with
every method x target x eps, and report per image and per tier. Resumable into the same folder.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Generator

import numpy as np
from PIL import Image

from advgui import __version__
from advgui.core.attacks import FastGradientSign, IterativeGradientSign, Target
from advgui.core.classifier import Classifier
from advgui.core.images import (ImageError, list_image_files, load_batch, load_rgb,
                                 read_labels_csv, truth_for)
from advgui.core.report import (OutputError, RowLog, atomic_write_bytes, atomic_write_json,
                                check_free_space, check_writable, describe_write_error,
                                write_csv)
from advgui.core.scoring import image_row, summary_rows, SUMMARY_COLUMNS, IMAGE_COLUMNS
from advgui.core.tiers import Tier, TierThresholds

# Bytes an attack result may take: a PNG of a photo at the model's size stays under 90 % of the
# raw pixels (the largest of 4,000 InceptionV3 results: 237,720 of 268,203 bytes), and its row.
PNG_SHARE = 0.9
ROW_BYTES = 600

# What a resumed study must share with the run that started it: rows are keyed by file, method,
# target and eps only, so a resume with another model, sample or step size would mix studies.
SAME_STUDY = (("model", "sha256"), ("model", "preprocessing"), ("config", "per_tier"),
              ("config", "seed"), ("config", "thresholds"), ("config", "alpha"), ("config", "steps"))

CLEAN_COLUMNS = ["file", "truth", "tier", "top1", "top1_name", "top1_probability", "status", "error"]
METHODS = ("fast", "iterative")


@dataclass(frozen=True)
class StudyConfig:
    folder: Path
    out: Path
    per_tier: int | None = None
    methods: tuple[str, ...] = METHODS
    targets: tuple[str, ...] = ("least-likely", "inverse")
    eps: tuple[float, ...] = (8.0,)
    alpha: float | None = None
    steps: int | None = None
    seed: int = 0
    batch: int = 8
    thresholds: TierThresholds = field(default_factory=TierThresholds)
    labels_csv: Path | None = None

    def attacks(self) -> list[tuple[str, float, object]]:
        out = []
        for eps in self.eps:
            for method in self.methods:
                if method == "fast":
                    out.append((method, eps, FastGradientSign(eps=eps)))
                elif method == "iterative":
                    out.append((method, eps, IterativeGradientSign(eps=eps, alpha=self.alpha,
                                                                   steps=self.steps)))
                else:
                    raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
        return out


@dataclass(frozen=True)
class StudyProgress:
    phase: str  # "classify" or "attack"
    done: int
    total: int
    tier_counts: dict[str, int]
    message: str = ""


@dataclass
class StudyOutcome:
    rows: int
    summary: list[dict]
    skipped: list[tuple[str, str]]
    cancelled: bool
    seconds: float


def _slug(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem)[:60]
    return f"{stem}-{hashlib.sha1(rel.encode()).hexdigest()[:8]}"


class Study:
    def __init__(self, classifier: Classifier, config: StudyConfig) -> None:
        if not config.folder.is_dir():
            raise ValueError(f"images folder not found: {config.folder}")
        self.classifier, self.config = classifier, config
        self.targets = [Target.parse(t, classifier.num_classes) for t in config.targets]
        self.attacks = config.attacks()
        wnids = {w: i for i, w in enumerate(classifier.classes.ids)}
        labels_csv = config.labels_csv
        if labels_csv is None and (config.folder / "labels.csv").exists():
            labels_csv = config.folder / "labels.csv"
        self.labels = read_labels_csv(labels_csv) if labels_csv else None
        self._wnids = wnids

    # -- phase 1 -------------------------------------------------------------------------------------
    def _load(self, path: Path) -> np.ndarray:
        return self.classifier.preprocessing.load(load_rgb(path))

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.config.folder).as_posix()

    def _truth(self, path: Path) -> int:
        return truth_for(path, self.config.folder, self.labels, self._wnids)

    def classify(self, should_stop: Callable[[], bool]) -> Generator[StudyProgress, None, list[dict]]:
        cfg, out = self.config, self.config.out / "clean.csv"
        if out.exists():
            log = RowLog(out, CLEAN_COLUMNS)
            rows = log.rows
            log.close()
            return rows
        files = list_image_files(cfg.folder)
        if not files:
            raise ValueError(f"no image files in {cfg.folder}")
        rows: list[dict] = []
        counts = {t.value: 0 for t in Tier}
        for i in range(0, len(files), cfg.batch):
            if should_stop():
                raise KeyboardInterrupt
            loaded, pixels, failed = load_batch(files[i:i + cfg.batch],
                                                self.classifier.preprocessing.load)
            for path, reason in failed:
                rows.append({"file": self._rel(path), "truth": self._truth(path), "tier": "",
                             "top1": "", "top1_name": "", "top1_probability": "",
                             "status": "skipped", "error": reason})
            if pixels:
                probs = self.classifier.probabilities(
                    self.classifier.preprocessing.to_model(np.stack(pixels)))
                for path, p in zip(loaded, probs):
                    rel, truth = self._rel(path), self._truth(path)
                    tier = cfg.thresholds.tier_of(float(p.max()))
                    counts[tier.value] += 1
                    rows.append({"file": rel, "truth": truth, "tier": tier.value,
                                 "top1": int(p.argmax()),
                                 "top1_name": self.classifier.classes.names[int(p.argmax())],
                                 "top1_probability": f"{p.max():.6f}", "status": "ok", "error": ""})
            yield StudyProgress("classify", min(i + cfg.batch, len(files)), len(files), dict(counts))
        write_csv(out, CLEAN_COLUMNS, rows)
        return [{k: str(v) for k, v in r.items()} for r in rows]

    def sample(self, clean_rows: list[dict]) -> list[dict]:
        """Up to per_tier images of each tier, drawn deterministically with the seed."""
        rng = np.random.default_rng(self.config.seed)
        chosen = []
        for tier in Tier:
            rows = sorted((r for r in clean_rows if r["tier"] == tier.value), key=lambda r: r["file"])
            order = rng.permutation(len(rows))
            if self.config.per_tier is not None:
                order = order[: self.config.per_tier]
            chosen += [rows[j] for j in sorted(order)]
        return chosen

    # -- phase 2 -------------------------------------------------------------------------------------
    def run(self, should_stop: Callable[[], bool] = lambda: False
            ) -> Generator[StudyProgress, None, StudyOutcome]:
        cfg = self.config
        started = time.time()
        # Fail before any work: a model the gradient builder cannot handle, an unwritable folder.
        self.classifier.ensure_gradient()
        check_writable(cfg.out)
        (cfg.out / "adversarial").mkdir(exist_ok=True)
        manifest = self._manifest(started)
        earlier = self._earlier_manifest()
        self._check_same_study(earlier, manifest)
        # A resumed study keeps when it first started and how long all its runs took together.
        manifest["first_started"] = earlier.get("first_started", earlier.get("started",
                                                                            manifest["started"]))
        manifest["runs"] = int(earlier.get("runs", 0)) + 1
        atomic_write_json(cfg.out / "manifest.json", manifest)
        cancelled = False
        write_error: OSError | None = None
        log: RowLog | None = None
        try:
            clean_rows = yield from self.classify(should_stop)
            chosen = self.sample(clean_rows)
            log = RowLog(cfg.out / "images.csv", IMAGE_COLUMNS)
            done = {(r["file"], r["method"], r["target"], float(r["eps"])) for r in log.rows}
            jobs = [(method, eps, attack, target) for (method, eps, attack) in self.attacks
                    for target in self.targets]
            total = len(jobs) * len(chosen)
            finished = len(done)
            size = self.classifier.size
            check_free_space(cfg.out, (total - finished) * (int(PNG_SHARE * 3 * size * size)
                                                           + ROW_BYTES),
                             f"{total - finished:,} adversarial images and their rows")
            for method, eps, attack, target in jobs:
                todo = [r for r in chosen if (r["file"], method, str(target), eps) not in done]
                for i in range(0, len(todo), cfg.batch):
                    if should_stop():
                        raise KeyboardInterrupt
                    batch = todo[i:i + cfg.batch]
                    rows = self._attack_batch(batch, method, eps, attack, target)
                    log.append(rows)
                    finished += len(batch)
                    yield StudyProgress("attack", finished, total, self._tier_counts(chosen),
                                        f"{method} {target} eps {eps:g}")
        except KeyboardInterrupt:
            cancelled = True
        except OutputError:
            if log:
                log.close()
            raise
        except OSError as exc:  # disk full or folder gone mid-run: keep what is finished
            write_error = exc
        rows = log.rows if log else []
        if log:
            log.close()
        summary = summary_rows(rows)
        manifest.update(finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"), cancelled=cancelled,
                        rows=len(rows), seconds=round(time.time() - started, 1),
                        seconds_all_runs=round(float(earlier.get("seconds_all_runs", 0.0))
                                               + time.time() - started, 1))
        try:
            write_csv(cfg.out / "summary.csv", SUMMARY_COLUMNS, summary)
            atomic_write_json(cfg.out / "manifest.json", manifest)
        except OSError as exc:
            write_error = write_error or exc
        if write_error is not None:
            raise OutputError(
                f"writing the results to {cfg.out} failed ({describe_write_error(write_error)}); "
                f"the study stopped with {len(rows):,} finished rows kept in images.csv. Free "
                "some space, then run the same study again to resume.") from write_error
        clean = self._clean_rows_or_empty()
        skipped = [(r["file"], r["error"]) for r in clean if r["status"] != "ok"]
        return StudyOutcome(len(rows), summary, skipped, cancelled, time.time() - started)

    def _clean_rows_or_empty(self) -> list[dict]:
        path = self.config.out / "clean.csv"
        if not path.exists():
            return []
        log = RowLog(path, CLEAN_COLUMNS)
        log.close()
        return log.rows

    @staticmethod
    def _tier_counts(chosen: list[dict]) -> dict[str, int]:
        return {t.value: sum(r["tier"] == t.value for r in chosen) for t in Tier}

    def _attack_batch(self, batch: list[dict], method: str, eps: float, attack, target: Target
                      ) -> list[dict]:
        cfg, pre = self.config, self.classifier.preprocessing
        failed, loaded, images = [], [], []
        for r in batch:  # a file can vanish or change between classification and attack
            try:
                images.append(self._load(cfg.folder / r["file"]))
                loaded.append(r)
            except ImageError as exc:
                failed.append(self._error_row(r, method, target, eps, str(exc)))
        if not loaded:
            return failed
        batch, pixels = loaded, np.stack(images)
        x = pre.to_model(pixels)
        truth = np.asarray([int(r["truth"]) for r in batch])
        if str(target) == "true" and np.any(truth < 0):
            raise ValueError("target 'true' needs ground truth for every image (labels CSV, "
                             "wnid file names or wnid folders)")
        gen = attack.run(self.classifier, x, target, truth)
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                result = stop.value
                break
        out = []
        for j, r in enumerate(batch):
            png = f"{_slug(cfg.folder / r['file'], cfg.folder)}__{method}_{target.slug}_eps{eps:g}.png"
            path = cfg.out / "adversarial" / png
            if not result.problems[j]:
                image = Image.fromarray(result.pixels[j])
                atomic_write_bytes(path, lambda tmp, im=image: im.save(tmp, format="PNG"))
            out.append(image_row(self.classifier, r, method, target, eps, attack, result, j,
                                 pixels[j], f"adversarial/{png}" if not result.problems[j] else ""))
        return failed + out

    @staticmethod
    def _error_row(clean_row: dict, method: str, target: Target, eps: float, error: str) -> dict:
        return {"file": clean_row["file"], "truth": clean_row["truth"], "tier": clean_row["tier"],
                "method": method, "target": str(target), "eps": f"{eps:g}", "status": "error",
                "error": error}

    def _check_same_study(self, earlier: dict, now: dict) -> None:
        """Refuse to resume a study with settings that would make its rows disagree."""
        out = self.config.out
        if not earlier or not ((out / "clean.csv").exists() or (out / "images.csv").exists()):
            return
        now = json.loads(json.dumps(now, default=str))  # tuples and dataclasses as JSON has them
        changed = []
        for section, key in SAME_STUDY:
            if key in earlier.get(section, {}) and earlier[section][key] != now[section][key]:
                old, new = (json.dumps(v)[:40] for v in (earlier[section][key], now[section][key]))
                changed.append(f"{key} {old} -> {new}")
        if changed:
            raise ValueError(f"{out} holds a study made with other settings ({'; '.join(changed)}). "
                             "Resume it with the same settings, or choose a new output folder.")

    def _earlier_manifest(self) -> dict:
        path = self.config.out / "manifest.json"
        try:
            return json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError):
            return {}  # a damaged manifest is rewritten, never fatal

    def _manifest(self, started: float) -> dict:
        import onnx
        import onnxruntime
        import PIL

        c = self.classifier
        return {
            "advgui": __version__,
            "model": {"name": c.name, "path": str(c.path) if c.path else None,
                      "sha256": c.sha256, "classes": c.num_classes,
                      "preprocessing": asdict(c.preprocessing)},
            "device": c.device.describe(),
            "config": {k: (str(v) if isinstance(v, Path) else v)
                       for k, v in asdict(self.config).items()},
            "attacks": [{"method": m, "eps": e, **{k: getattr(a, k) for k in ("alpha", "steps")
                                                    if hasattr(a, k)}}
                        for m, e, a in self.attacks],
            "versions": {"python": platform.python_version(), "numpy": np.__version__,
                         "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                         "pillow": PIL.__version__},
            "machine": platform.platform(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        }
