"""Merging the shards of one study into the folder a single run would have written.

The parts must be one study (same definition, same attacks, the same classification), one each
of shards 1 ... N, none missing, no image twice, and every sampled image attacked by every
method x target x eps. The merged images.csv lists rows in the order one uninterrupted run
appends them (attack by attack, images in sample order), so its reports are those of that run.

Each row's PNG must be a plain file of its part under the name the study gives that row, and,
where the row has an adversarial_sha256, hold exactly the bytes the study wrote (two PNGs whose
bytes were swapped are refused). Rows of older releases have that cell empty: their PNGs are
checked for name and kind only, not for their bytes.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from advgui.core.analysis.extras_schema import EXTRAS
from advgui.core.records.row_log import _records, read_csv, write_csv
from advgui.core.records.safe_write import (BINARY, NOFOLLOW, atomic_write_file, atomic_write_json,
                                            open_folder, real_subfolder)
from advgui.core.records.schema import (IMAGE_COLUMNS, adversarial_name, eps_key, image_key,
                                        png_sha256, validate_image_row)
from advgui.core.records.shards import Shard
from advgui.core.records.config import (CLEAN_COLUMNS, StudyConfig, Target, sample_rows,
                                       validate_clean_row)
from advgui.core.records.folder import (DEFINITION_NAME, StudyLock, check_out_folder,
                                       is_study_folder, read_definition, write_definition)
from advgui.core.records.identity import _differences, study_id
from advgui.core.records.features_file import FEATURES_FILE, merge_features
from advgui.core.study.reports import read_manifest, write_reports
from advgui.core.wording import count_noun


# Everything merge reads in a part; none of it may be a link (study itself refuses them too).
PART_FILES = (DEFINITION_NAME, "manifest.json", "clean.csv", "images.csv", "adversarial",
              FEATURES_FILE, *(kind.csv for kind in EXTRAS))


@dataclass(frozen=True)
class Part:
    folder: Path
    shard: Shard
    definition: dict
    manifest: dict
    clean: list[dict]
    rows: list[dict]
    lines: list[int] = field(default_factory=list)  # images.csv's line of each row
    # NAME.csv of each extra the part has: (its rows, the line of each)
    extras: dict[str, tuple[list[dict], list[int]]] = field(default_factory=dict)
    columns: tuple[str, ...] = tuple(IMAGE_COLUMNS)  # its images.csv's (an older one: fewer)


@dataclass(frozen=True)
class MergeOutcome:
    rows: int
    images: int
    summary: list[dict]


def _refuse_links(folder: Path) -> None:
    for name in PART_FILES:
        if (folder / name).is_symlink():
            raise ValueError(f"{folder / name} is a symbolic link; merge reads a part's files "
                             "only inside it (a study never makes links). Put the file itself "
                             "there, or run that shard again, then merge again")


def _row_lines(path: Path) -> list[int]:
    """The line each complete record after the header starts on (a cell may hold a line
    break): messages name the line a user finds in an editor."""
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    return [line for line, record, complete, _ in _records(text)
            if complete and record is not None][1:]


def _read_log(path: Path, columns: list[str], validate) -> tuple[list[dict], list[int]]:
    log = read_csv(path, columns, validate)
    if log.dropped:
        raise ValueError(f"{path.parent}/{log.describe_dropped()}; run the shard again to resume "
                         "and repair it, then merge again")
    return log.rows, _row_lines(path)[:len(log.rows)]


def _read_part(folder: Path) -> Part:
    if not folder.is_dir() or not is_study_folder(folder):
        raise ValueError(f"{folder} is not an advgui study folder")
    _refuse_links(folder)
    kept = read_definition(folder)
    manifest = read_manifest(folder)
    if kept is None or "config" not in manifest:
        raise ValueError(f"{folder}: its {DEFINITION_NAME} or manifest.json is missing or damaged; "
                         "run the shard again to resume and rewrite them")
    shard = manifest["config"].get("shard")
    if not shard:
        raise ValueError(f"{folder} is a whole study (no --shard), not a part to merge")
    if not manifest.get("finished"):
        raise ValueError(f"{folder} (shard {shard}) never finished a run; run it again")
    if not (folder / "clean.csv").is_file():
        raise ValueError(f"{folder} (shard {shard}) has no clean.csv; run it again")
    clean = read_csv(folder / "clean.csv", CLEAN_COLUMNS, validate_clean_row)
    images = read_csv(folder / "images.csv", IMAGE_COLUMNS, validate_image_row, image_key) \
        if (folder / "images.csv").exists() else None
    for name, log in (("clean.csv", clean), ("images.csv", images)):
        if log is not None and log.dropped:
            raise ValueError(f"{folder}/{name}: {log.describe_dropped()}; run the shard again "
                             "to resume and repair it")
    from advgui.core.study.extras import SCORINGS  # noqa: PLC0415 (loads the scorers)

    extras = {}
    for scoring in SCORINGS:
        path = folder / scoring.kind.csv
        if path.exists():
            extras[scoring.kind.csv] = _read_log(path, scoring.kind.columns, scoring.validate)
    return Part(folder, Shard.parse(shard), kept["definition"], manifest, clean.rows,
                images.rows if images else [],
                _row_lines(folder / "images.csv")[:len(images.rows)] if images else [], extras,
                tuple(images.columns) if images else tuple(IMAGE_COLUMNS))


def _config_of(part: Part) -> StudyConfig:
    c = part.manifest["config"]
    d = part.definition
    if not isinstance(c, dict) or c.get("seed") != d.get("seed") or \
            c.get("per_tier") != d.get("per_tier") or c.get("tiers", "fixed") != d.get("tiers"):
        raise ValueError(f"{part.folder}: manifest.json disagrees with study.json (seed, "
                         "per-tier count or tiers); it was edited. Run the shard again to "
                         "rewrite it")
    return StudyConfig.from_dict(c)


def _jobs(config: StudyConfig, classes: int) -> list[tuple[str, str, str]]:
    """(method, target, eps) in the order a single run attacks them."""
    return [(method, str(target), eps) for method, eps, target in config.jobs(classes)]


def _option(name: str, values) -> str:
    return f"{name} {' '.join(values)}" if values else f"no {name}"


def _labels_of(part: Part) -> str:
    labels = part.manifest["config"].get("labels_csv")
    return f"--truth {labels}" if labels else "the labels found with the images (no --truth)"


def _check_same_extras(parts: list[Part]) -> None:
    """Every shard scored its adversarials with the same transfer models and transformations:
    else the merged transfer.csv or destroy.csv would cover only some shards' rows."""
    first = parts[0]
    ours = _config_of(first).to_dict()
    for p in parts[1:]:
        theirs = _config_of(p).to_dict()
        for key, option in (("transfer_to", "--transfer-to"), ("destroy", "--destroy")):
            if list(theirs[key]) != list(ours[key]):
                raise ValueError(
                    f"shard {p.shard} ({p.folder}) was run with {_option(option, theirs[key])}, "
                    f"shard {first.shard} ({first.folder}) with {_option(option, ours[key])}; "
                    "merged, their rows would cover only some shards. Resume every shard with "
                    "the same --transfer-to and --destroy (a resume scores what it lacks), then "
                    "merge again")
    for kind in EXTRAS:
        having = [(p, sorted({r[kind.by] for r in p.extras[kind.csv][0]})) for p in parts
                  if p.extras.get(kind.csv, ([], []))[0]]
        for p, values in having[1:]:
            if values != having[0][1]:
                q, kept = having[0]
                raise ValueError(
                    f"{p.folder / kind.csv} (shard {p.shard}) scores {', '.join(values)}, "
                    f"{q.folder / kind.csv} (shard {q.shard}) {', '.join(kept)}: the shards were "
                    "resumed with other --transfer-to or --destroy. Resume every shard with the "
                    "same ones, then merge again")


def _check_same_classification(p: Part, first: Part) -> None:
    if p.clean == first.clean:
        return

    def but_truth(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "truth"} for r in rows]

    if but_truth(p.clean) == but_truth(first.clean):
        n = sum(a["truth"] != b["truth"] for a, b in zip(p.clean, first.clean))
        raise ValueError(f"shard {p.shard} ({p.folder}) used labels {_labels_of(p)}, shard "
                         f"{first.shard} ({first.folder}) used {_labels_of(first)}: the truth of "
                         f"{n} photo{'s' if n != 1 else ''} differs. Resume every shard with the "
                         "same --truth (a resume re-scores its rows), then merge again")
    raise ValueError(f"{p.folder} and {first.folder} were classified separately and "
                     "differ; classify once (--classify-only) and give every shard "
                     "--clean-from")


def check_parts(parts: list[Part]) -> tuple[list[dict], list[tuple[str, str, str]]]:
    """Refuse parts that are not one whole study; return the sample and the attacks."""
    first = parts[0]
    for p in parts[1:]:
        if study_id(p.definition) != study_id(first.definition):
            changed = "; ".join(_differences(first.definition, p.definition))
            raise ValueError(f"{p.folder} is part of another study than {first.folder} "
                             f"({changed}); merge the parts of one study only")
    counts = {p.shard.count for p in parts}
    if len(counts) > 1:
        raise ValueError("the parts were cut into different numbers of shards ("
                         + ", ".join(f"{p.folder}: {p.shard}" for p in parts) + ")")
    n = counts.pop()
    seen: dict[int, Path] = {}
    for p in parts:
        if p.shard.index in seen:
            raise ValueError(f"{seen[p.shard.index]} and {p.folder} are both shard {p.shard}; "
                             "give each shard once")
        seen[p.shard.index] = p.folder
    missing = [f"{k}/{n}" for k in range(1, n + 1) if k not in seen]
    if missing:
        raise ValueError(f"shard{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"{'are' if len(missing) > 1 else 'is'} missing (given: "
                         + ", ".join(str(p.shard) for p in sorted(parts, key=lambda p: p.shard.index))
                         + "); run it and merge all N parts")
    parts = sorted(parts, key=lambda p: p.shard.index)  # messages compare with shard 1
    first = parts[0]
    config = _config_of(first)
    classes = int(first.definition["classes"])
    jobs = _jobs(config, classes)
    for p in parts[1:]:
        if _jobs(_config_of(p), int(p.definition["classes"])) != jobs:
            raise ValueError(f"{p.folder} ran other attacks (methods, targets or eps) than "
                             f"{first.folder}; run every shard with the same options")
        _check_same_classification(p, first)
    _check_same_extras(parts)
    for p in parts:
        _check_rows(p, classes)
        _check_extra_rows(p)
    # Earlier runs of the shards may have attacked more (eps added, then left out): their rows
    # are the study's too, as in an unsharded folder, and must then be in every shard.
    seen = {(r["method"], r["target"], eps_key(r["eps"])) for p in parts for r in p.rows}
    jobs += sorted(seen - set(jobs), key=lambda j: (j[2], j[0], j[1]))
    chosen = sample_rows(first.clean, config.seed, config.per_tier)
    return chosen, jobs


# A row's columns copied from its photo's clean.csv row (that column there). clean_top1 is not:
# the attack's own forward pass measures it again (another device may break a near tie).
_FROM_CLEAN = (("tier", "tier"), ("truth", "truth"))


def _row_problem(r: dict, own: str, shard: Shard, clean: dict[str, dict], classes: int
                 ) -> str | None:
    """Why a row of a part's images.csv is not this study's row as the part made it, or None."""
    if r["study_id"] != own:
        return f"its study_id {r['study_id']!r} is another study's (this one is {own})"
    if not shard.holds(r["file"]):
        return f"{r['file']!r} belongs to another shard than {shard}"
    c = clean.get(r["file"])
    if c is None or c["status"] != "ok":
        return f"{r['file']!r} is not a photo clean.csv classified"
    for column, clean_column in _FROM_CLEAN:
        if r[column] != "" and r[column] != c[clean_column]:
            return (f"{column} {r[column]!r} contradicts clean.csv ({clean_column} "
                    f"{c[clean_column]!r} for {r['file']!r})")
    png = r["adversarial_png"]
    if r["status"] == "error":
        if png or not r["error"]:
            return (f"status 'error' but it {'names a PNG' if png else 'gives no error'} (a "
                    "status changed by hand)")
        return None
    if r["error"]:
        return "status 'ok' but it gives an error (a status changed by hand)"
    try:
        slug = Target.parse(r["target"], classes).slug
    except ValueError as exc:
        return str(exc)
    own_png = "adversarial/" + adversarial_name(r["file"], r["method"], slug, eps_key(r["eps"]))
    if png == own_png:
        return None
    inside = png.startswith("adversarial/") and "/" not in png[len("adversarial/"):] \
        and "\\" not in png and png[len("adversarial/"):] not in ("", ".", "..")
    if not inside:
        return f"adversarial_png {png!r} leaves the part's adversarial/ folder"
    return f"adversarial_png {png!r} is another row's PNG (this row's is {own_png!r})"


def _check_rows(part: Part, classes: int) -> None:
    """Every row of the part is this study's, of this shard, of a photo as clean.csv classified
    it, and names its own PNG inside adversarial/: a hand edit or a row copied from elsewhere
    is refused, never merged."""
    own = study_id(part.definition)
    clean = {c["file"]: c for c in part.clean}
    for r, line in zip(part.rows, part.lines):
        why = _row_problem(r, own, part.shard, clean, classes)
        if why:
            raise ValueError(f"{part.folder / 'images.csv'} line {line}: {why}; the part was "
                             "edited or mixed with another. Restore it (or run that shard again "
                             "into a new folder), then merge again")


def _check_extra_rows(part: Part) -> None:
    """transfer.csv and destroy.csv hold each row once, of this study, of an attack row of
    this part (a row copied under another shard's photo would be counted twice)."""
    own = study_id(part.definition)
    attacks = {image_key(r): r for r in part.rows if r["status"] == "ok"}
    for kind in EXTRAS:
        extra_rows, lines = part.extras.get(kind.csv, ([], []))
        seen: dict[tuple, int] = {}
        for r, line in zip(extra_rows, lines):
            key = kind.key(r)
            what = f"{r['file']!r} {r['method']} {r['target']} eps {r['eps']} {r[kind.by]}"
            attack = attacks.get(key[:-1])
            why = (f"the same row as line {seen[key]} ({what}) is there twice" if key in seen
                   else f"its study_id {r['study_id']!r} is another study's (this one is {own})"
                   if r["study_id"] != own
                   else f"{r['file']!r} belongs to another shard than {part.shard}"
                   if not part.shard.holds(r["file"])
                   else f"no row of images.csv is its attack ({what})" if attack is None
                   else f"tier {r['tier']!r} contradicts images.csv ({attack['tier']!r})"
                   if r["tier"] != attack["tier"] else None)
            if why:
                raise ValueError(f"{part.folder / kind.csv} line {line}: {why}; the part was "
                                 "edited or mixed with another. Restore it (or run that shard "
                                 "again into a new folder), then merge again")
            seen[key] = line


def _ordered_rows(parts: list[Part], chosen: list[dict],
                  jobs: list[tuple[str, str, str]]) -> list[dict]:
    by_key: dict[tuple, dict] = {}
    for p in parts:
        for r in p.rows:
            if not p.shard.holds(r["file"]):
                raise ValueError(f"{p.folder} (shard {p.shard}) holds rows of "
                                 f"{r['file']!r}, which belongs to another shard")
            key = image_key(r)
            if key in by_key:
                raise ValueError(f"{r['file']!r} ({r['method']} {r['target']} eps {r['eps']}) "
                                 "is in two parts")
            by_key[key] = r
    ordered, absent = [], {}
    for method, target, eps in jobs:
        for c in chosen:
            row = by_key.pop((c["file"], method, target, eps), None)
            if row is None:
                shard = next(p.shard for p in parts if p.shard.holds(c["file"]))
                absent[str(shard)] = absent.get(str(shard), 0) + 1
            else:
                ordered.append(row)
    if absent:
        raise ValueError("the parts are not finished: " + ", ".join(
            f"shard {s} lacks {k} row{'s' if k != 1 else ''}" for s, k in sorted(absent.items()))
            + "; run those shards again (they resume) and merge again")
    if by_key:
        extra = next(iter(by_key.values()))
        raise ValueError(f"a part holds rows the study does not sample (e.g. {extra['file']!r}); "
                         "it was run with other options")
    return ordered


def merge_studies(folders: list[Path], out: Path) -> MergeOutcome:
    """Check the parts and write OUT as one run of the whole study would have."""
    if not folders:
        raise ValueError("give the shard folders to merge")
    resolved = [f.resolve() for f in folders]
    if out.resolve() in resolved:
        raise ValueError(f"--out {out} is one of the parts; merge into a new folder")
    twice = next((f for k, f in enumerate(folders) if resolved[k] in resolved[:k]), None)
    if twice is not None:
        raise ValueError(f"{twice} is given twice; give each shard folder once")
    check_out_folder(out)
    with ExitStack() as locks:
        for f in folders:  # no shard may still be writing while it is read; read-only is fine
            if not f.is_dir() or not is_study_folder(f):
                raise ValueError(f"{f} is not an advgui study folder")
            locks.enter_context(StudyLock(f, shared=True))
        parts = [_read_part(f) for f in folders]
        chosen, jobs = check_parts(parts)
        parts.sort(key=lambda p: p.shard.index)
        rows = _ordered_rows(parts, chosen, jobs)
        first = parts[0]
        _check_sources(parts, rows)
        # Every check is done: only now is OUT locked (a refusal leaves it as it was).
        out.mkdir(parents=True, exist_ok=True)
        locks.enter_context(StudyLock(out))
        _check_target(out, study_id(first.definition), rows)
        # Written first: a merge stopped half-way is recognisably an unfinished merge, and the
        # same merge run again completes it.
        atomic_write_json(out / "manifest.json", dict(_merged_manifest(parts, out, len(rows)),
                                                      finished=None, merging=True))
        write_definition(out, study_id(first.definition), first.definition,
                         f"Merged from {len(parts)} shards.")
        write_csv(out / "clean.csv", CLEAN_COLUMNS, first.clean)
        _copy_pngs(parts, rows, out)
        # The columns the parts have: shards of an older release merge into an older file.
        write_csv(out / "images.csv", IMAGE_COLUMNS[:max(len(p.columns) for p in parts)], rows)
        _merge_transfer(parts, rows, out)
        merge_features([p.folder for p in parts], out, rows)  # the feature projection's record
        manifest = _merged_manifest(parts, out, len(rows))
        summary = write_reports(out, rows, manifest, f"{first.manifest['model']['name']} on "
                                f"{Path(first.manifest['config']['folder']).name}: "
                                f"{count_noun(len({r['file'] for r in rows}), 'image')}")
    return MergeOutcome(len(rows), len({r["file"] for r in rows}), summary)


class _PartPngs:
    """The parts' adversarial/ folders, opened without following a link, and each PNG opened
    relative to its own: a PNG replaced by a link (or a hard link, a FIFO) is refused, never
    read, and nothing is read outside the parts."""

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts
        self.fds: dict[Path, int | None] = {}

    def _folder_fd(self, part: Path) -> int | None:
        if part not in self.fds:
            fd = open_folder(part)
            try:
                self.fds[part] = None if fd is None else os.open(
                    "adversarial", os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                raise ValueError(f"{part / 'adversarial'}: {self._why(exc)}; run that shard "
                                 "again to make its PNGs, then merge again") from None
            finally:
                if fd is not None:
                    os.close(fd)
        return self.fds[part]

    @staticmethod
    def _why(exc: OSError) -> str:
        return ("it is a symbolic link (merge reads only inside the parts)"
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) else
                "it is missing" if exc.errno == errno.ENOENT else exc.strerror or str(exc))

    def open(self, part: Path, cell: str) -> int:
        """A descriptor of the part's PNG the row's cell names (checked by _check_rows to be
        adversarial/NAME)."""
        name = cell[len("adversarial/"):]
        path = part / "adversarial" / name
        folder = self._folder_fd(part)
        try:
            fd = os.open(name if folder is not None else path, os.O_RDONLY | NOFOLLOW | BINARY,
                         dir_fd=folder)
        except OSError as exc:
            raise ValueError(f"{path}: {self._why(exc)}; run that shard again to make it, "
                             "then merge again") from None
        info = os.fstat(fd)
        why = ("it is not a regular file" if not stat.S_ISREG(info.st_mode) else
               "it has another name too (a hard link), so it may be a file from outside the "
               "part" if info.st_nlink > 1 else "")
        if why:
            os.close(fd)
            raise ValueError(f"{path}: {why}; merge copies only the PNGs a shard wrote. Run that "
                             "shard again to make it, then merge again")
        return fd

    def close(self) -> None:
        for fd in self.fds.values():
            if fd is not None:
                os.close(fd)
        self.fds.clear()


def _sources(parts: list[Part], rows: list[dict]) -> list[tuple[Path, dict]]:
    owner = {image_key(r): p.folder for p in parts for r in p.rows}
    return [(owner[image_key(r)], r) for r in rows if r["adversarial_png"]]


def _check_sources(parts: list[Part], rows: list[dict]) -> None:
    """Every PNG the merged rows name must be there, a plain file of its part, with the bytes
    the study wrote (its row's adversarial_sha256), before anything is written."""
    pngs = _PartPngs(parts)
    missing = []
    try:
        for part, r in _sources(parts, rows):
            try:
                fd = pngs.open(part, r["adversarial_png"])
            except ValueError as exc:
                if not (part / r["adversarial_png"]).exists() and \
                        not (part / r["adversarial_png"]).is_symlink():
                    missing.append(part / r["adversarial_png"])
                    continue
                raise exc from None
            with os.fdopen(fd, "rb") as fh:
                digest = png_sha256(fh.read())
            if r.get("adversarial_sha256") and digest != r["adversarial_sha256"]:
                _refuse_other_bytes(next(p for p in parts if p.folder == part), r, digest)
    finally:
        pngs.close()
    if missing:
        raise ValueError(f"{len(missing)} adversarial PNG(s) named by the parts' rows are "
                         f"missing (e.g. {missing[0]}); run that shard again to make them")


def _refuse_other_bytes(part: Part, row: dict, digest: str) -> None:
    """A row's PNG whose bytes are not those the study wrote: swapped with another row's PNG
    (named), or changed."""
    line = next(n for r, n in zip(part.rows, part.lines) if image_key(r) == image_key(row))
    other = next((r["adversarial_png"] for r in part.rows
                  if r.get("adversarial_sha256") == digest and r is not row), None)
    what = (f"holds the bytes of {part.folder / other}" if other else
            "holds bytes the study never wrote there")
    raise ValueError(f"{part.folder / 'images.csv'} line {line}: its PNG "
                     f"{part.folder / row['adversarial_png']} {what} (its SHA-256 differs from "
                     "the row's adversarial_sha256); the part's PNGs were swapped or edited. "
                     "Restore them (or run that shard again into a new folder), then merge again")


def _check_target(out: Path, merged_id: str, rows: list[dict]) -> None:
    """OUT may be new, empty, or an earlier merge of this same study (merged again, never
    losing a row it had)."""
    if not out.is_dir():
        return
    kept = read_definition(out)
    ids = set()
    for name, cols in (("clean.csv", CLEAN_COLUMNS), ("images.csv", IMAGE_COLUMNS)):
        if (out / name).exists():
            ids |= {r["study_id"] for r in read_csv(out / name, cols).rows}
    if kept is not None:
        ids.add(study_id(kept["definition"]))
    if ids - {merged_id}:
        raise ValueError(f"--out {out} holds another study; merge into a new folder")
    if ids and "merged_from" not in read_manifest(out):
        raise ValueError(f"--out {out} holds a run of this study, not an earlier merge; merge "
                         "into a new folder (a merge never overwrites a study's own rows)")
    if (out / "images.csv").exists():
        new = {image_key(r) for r in rows}
        lost = [r for r in read_csv(out / "images.csv", IMAGE_COLUMNS).rows
                if image_key(r) not in new]
        if lost:
            raise ValueError(f"--out {out} is an earlier merge with {len(lost)} row(s) these "
                             f"parts do not have (e.g. {lost[0]['file']!r} {lost[0]['method']} "
                             f"eps {lost[0]['eps']}); merging would drop them. Merge into a new "
                             "folder")


def _merge_transfer(parts: list[Part], rows: list[dict], out: Path) -> None:
    """transfer.csv and destroy.csv of the parts (as read and checked), in the merged rows'
    order, then by model or transformation, with their summaries."""
    from advgui.core.study.extras import SCORINGS  # noqa: PLC0415 (loads the scorers)

    for scoring in SCORINGS:
        kind = scoring.kind
        found = [p.extras[kind.csv][0] for p in parts if kind.csv in p.extras]
        if not found:
            continue
        by_image: dict[tuple, list[dict]] = {}
        for extra_rows in found:
            for r in extra_rows:
                by_image.setdefault(kind.key(r)[:-1], []).append(r)
        merged = [t for r in rows for t in sorted(by_image.get(image_key(r), []),
                                                  key=lambda t: t[kind.by])]
        write_csv(out / kind.csv, kind.columns, merged)
        write_csv(out / kind.summary_csv, kind.summary_columns, scoring.summarize(merged))


def _copy_pngs(parts: list[Part], rows: list[dict], out: Path) -> None:
    adversarial = real_subfolder(out, "adversarial")
    fd = open_folder(adversarial)
    pngs = _PartPngs(parts)
    try:
        for part, r in _sources(parts, rows):
            name = r["adversarial_png"][len("adversarial/"):]
            with os.fdopen(pngs.open(part, r["adversarial_png"]), "rb") as fh:
                atomic_write_file(adversarial / name, lambda dst, s=fh: shutil.copyfileobj(s, dst),
                                  dir_fd=fd)
    finally:
        pngs.close()
        if fd is not None:
            os.close(fd)


def _merged_manifest(parts: list[Part], out: Path, rows: int) -> dict:
    first = dict(parts[0].manifest)
    # The whole study's config: the parts' one (checked alike) as one run would have written it.
    config = replace(_config_of(parts[0]), shard=None, clean_from=None, out=out).to_dict()
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return {**first, "config": config, "rows": rows, "cancelled": False, "notes": [],
            "started": min(p.manifest.get("first_started", p.manifest["started"]) for p in parts),
            "first_started": min(p.manifest.get("first_started", p.manifest["started"])
                                 for p in parts),
            "finished": now, "runs": sum(int(p.manifest.get("runs", 1)) for p in parts),
            "seconds": round(sum(float(p.manifest.get("seconds", 0)) for p in parts), 1),
            "seconds_all_runs": round(sum(float(p.manifest.get("seconds_all_runs", 0))
                                          for p in parts), 1),
            "merged_from": [{"folder": str(p.folder), "shard": str(p.shard),
                             "machine": p.manifest.get("machine"),
                             "device": p.manifest.get("device"),
                             "rows": len(p.rows)} for p in sorted(parts, key=lambda p: p.shard.index)]}
