"""What makes two runs into one folder the same study, and the checks that keep them so.

A study is defined by its model, preprocessing, tier thresholds, sample (seed and per-tier
count), step size and step count; eps, methods and targets may grow between runs, since each row
names its own. The definition is kept three ways: ``study.json`` (written once, readable), its
hash in every row of clean.csv and images.csv (so losing or editing any file cannot make rows of
two studies meet), and manifest.json (the runs). The input files are pinned by clean.csv, which
records each file's size and SHA-256 when it was classified.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath

from advgui.core.model.hashing import sha256_file
from advgui.core.records.row_log import read_csv
from advgui.core.records.folder import DEFINITION_NAME, read_definition, write_definition

PARTIAL_CLEAN = "clean.partial.csv"

MAX_SHOWN = 3

# What a classification (clean.csv) depends on. Not the sample (seed, per-tier count) nor the
# attacks' step size and count: shards with any --per-tier may share one --classify-only run.
CLASSIFICATION_KEYS = ("model_sha256", "classes", "preprocessing", "tiers", "thresholds",
                       "class_ids")


# Preprocessing fields added after studies were first recorded, with the value every older study
# had: left out of the definition at that value, so an old folder keeps its study id and resumes.
LATER_PREPROCESSING_DEFAULTS = {"stretch": False}


def preprocessing_definition(preprocessing) -> dict:
    """The preprocessing as a study's definition records it (a dataclass in, a plain dict out)."""
    from dataclasses import asdict  # noqa: PLC0415

    fields = asdict(preprocessing)
    return {k: v for k, v in fields.items()
            if not (k in LATER_PREPROCESSING_DEFAULTS and v == LATER_PREPROCESSING_DEFAULTS[k])}


def study_id(definition: dict) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]


def _shown(items: list[str]) -> str:
    more = f" and {len(items) - MAX_SHOWN} more" if len(items) > MAX_SHOWN else ""
    return ", ".join(repr(i) for i in items[:MAX_SHOWN]) + more


def _brief(value) -> str:
    if isinstance(value, str) and len(value) > 24:
        return value[:12] + "…"
    return json.dumps(value)[:80]


def _differences(old: dict, new: dict) -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):  # name the fields that differ, not the dict
            out += [f"{key}.{d}" for d in _differences(a, b)]
        else:
            out.append(f"{key} {_brief(a)} -> {_brief(b)}")
    return out


def check_definition(folder: Path, definition: dict, row_ids: set[str]) -> None:
    """Refuse when the rows already in folder belong to a study with another definition."""
    now = study_id(definition)
    if not row_ids or row_ids == {now}:
        return
    kept = read_definition(folder)
    if len(row_ids) > 1:
        raise ValueError(f"{folder} holds rows of {len(row_ids)} different studies; it cannot be "
                         "resumed. Choose a new output folder.")
    old_id = next(iter(row_ids))
    if kept and study_id(kept["definition"]) == old_id:
        changed = "; ".join(_differences(kept["definition"], definition))
        raise ValueError(f"{folder} holds a study made with other settings ({changed}). Resume "
                         "it with the same settings, or choose a new output folder.")
    raise ValueError(f"{folder} holds rows of another study (id {old_id}; this run would be "
                     f"{now}), and its {DEFINITION_NAME} is missing or was edited, so what differs "
                     "cannot be named. Resume it with its original settings, or choose a new "
                     "output folder.")


def check_classification(source: Path, definition: dict, row_ids: set[str]) -> None:
    """Refuse the clean.csv of ``source`` (a classify-only study) as this study's
    classification unless it was made with the same model, preprocessing and tiers. Its rows
    may carry another study id (another seed or per-tier count): the caller restamps them."""
    if not row_ids or row_ids == {study_id(definition)}:
        return
    kept = read_definition(source)
    if len(row_ids) > 1 or kept is None or row_ids != {study_id(kept["definition"])}:
        raise ValueError(f"{source} holds rows of another study, and its {DEFINITION_NAME} is "
                         "missing or was edited, so what its classification was made with "
                         "cannot be checked")
    changed = _differences({k: kept["definition"].get(k) for k in CLASSIFICATION_KEYS},
                           {k: definition.get(k) for k in CLASSIFICATION_KEYS})
    if changed:
        raise ValueError(f"{source} was classified with other settings ({'; '.join(changed)})")


def check_inputs(folder: Path, listed: list[str], clean_rows: list[dict],
                 sampled: list[dict]) -> None:
    """Refuse a resume whose images folder gained files, or whose sampled files changed."""
    known = {r["file"] for r in clean_rows}
    added = sorted(set(listed) - known)
    if added:
        raise ValueError(
            f"{len(added)} image file{'s' if len(added) != 1 else ''} appeared in {folder} since "
            f"this study classified it ({_shown(added)}); a resume never mixes them in. Move them "
            "out, or start a new study in another output folder.")
    changed = []
    for row in sampled:
        path = folder / row["file"]
        try:
            if not path.is_file():
                continue  # a vanished file: its remaining attacks become error rows
            if path.stat().st_size != int(row["bytes"]) or sha256_file(path) != row["sha256"]:
                changed.append(row["file"])
        except (OSError, ValueError):
            changed.append(row["file"])
    if changed:
        raise ValueError(
            f"{len(changed)} image file{'s' if len(changed) != 1 else ''} of this study changed "
            f"since {'they were' if len(changed) != 1 else 'it was'} classified ({_shown(changed)}:"
            " other size or SHA-256); their new and old results would be mixed under one name. "
            "Restore them, or start a new study in another output folder.")


def check_folder(out: Path, definition: dict, columns: tuple[list[str], list[str]]) -> None:
    """Refuse a folder whose rows belong to another study, or whose attack rows lost the
    clean.csv that pins their photos; then (re)write study.json for this definition.
    ``columns`` are clean.csv's and images.csv's."""
    clean_columns, image_columns = columns
    rows: dict[str, list[dict]] = {}
    for name, cols in (("clean.csv", clean_columns), (PARTIAL_CLEAN, clean_columns),
                       ("images.csv", image_columns)):
        if (out / name).exists():
            try:
                rows[name] = read_csv(out / name, cols).rows
            except ValueError as exc:
                raise ValueError(f"{exc} (it was written by another version of advgui, or "
                                 "edited)") from None
    check_definition(out, definition, {r["study_id"] for part in rows.values() for r in part})
    if rows.get("images.csv") and "clean.csv" not in rows:
        raise ValueError(f"{out} has attack rows but its clean.csv, the record of which photos "
                         "(size and SHA-256) they were made on, is missing; a resume could mix "
                         "other photos in. Restore clean.csv, or start a new study in another "
                         "output folder.")
    kept, now = read_definition(out), study_id(definition)
    if kept is None or study_id(kept["definition"]) != now:
        write_definition(out, now, definition,
                         "What defines this study; every row of clean.csv and images.csv carries "
                         "its id. eps, methods and targets may be added by later runs.")


def _outside(row: dict) -> str | None:
    """A clean.csv file cell that would lead out of the images folder."""
    path = PurePosixPath(row["file"])
    if path.is_absolute() or ".." in path.parts:
        return f"file {row['file']!r} is outside the images folder"
    return None


def check_clean_record(out: Path, columns: list[str], validate) -> None:
    """clean.csv is written whole, once (never appended), so a row it cannot use was edited or
    damaged: refuse, naming the line and what is wrong, and leave the file as it is. (Dropping
    the row would make its photo look new to every later resume.)"""
    path = out / "clean.csv"
    if not path.is_file():
        return
    contents = read_csv(path, columns, lambda r: validate(r) or _outside(r),
                        key=lambda r: (r["file"],))
    if not contents.damaged:
        return
    line, why = contents.dropped[0] if contents.dropped else ("last", "cut short")
    more = (f" (and {len(contents.dropped) - 1} more broken rows)"
            if len(contents.dropped) > 1 else "")
    raise ValueError(f"{path}: line {line}: {why}{more}; clean.csv was left as it is. Put the "
                     "row back as the study wrote it, or start a new study in another output "
                     "folder")
