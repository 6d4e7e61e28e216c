"""A shard's folder as merge reads it: its definition, manifest, clean.csv, images.csv and the
extras' CSVs, each refused when it is a link, damaged or of an unfinished run.

Apart from the checks (merge_checks.py) and the copying (merge.py, merge_pngs.py): every later
step works on these Parts, read once, under the parts' shared locks.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from advgui.core.analysis.extras_schema import EXTRAS
from advgui.core.records.config import CLEAN_COLUMNS, StudyConfig, validate_clean_row
from advgui.core.records.folder import DEFINITION_NAME, is_study_folder, read_definition
from advgui.core.records.features_file import FEATURES_FILE
from advgui.core.records.row_log import _records, read_csv
from advgui.core.records.safe_write import BINARY, NOFOLLOW, not_own_file
from advgui.core.records.schema import IMAGE_COLUMNS, image_key, validate_image_row
from advgui.core.records.shards import Shard
from advgui.core.study.reports import read_manifest


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


_ONLY_INSIDE = ("merge reads a part's files only inside it (a study never makes links). Put "
                "the file itself there, or run that shard again, then merge again")


def _refuse_links(folder: Path) -> None:
    """Refuse a part whose file is a symbolic link, or a hard link (or a FIFO) in place of a
    file: a features.npz hard-linked to a file outside the part was only left out of the merge,
    without a word (the merged folder then had no features), where a symbolic link was refused."""
    for name in PART_FILES:
        path = folder / name
        if path.is_symlink():
            raise ValueError(f"{path} is a symbolic link; {_ONLY_INSIDE}")
        if name == "adversarial":  # a folder; its PNGs are checked one by one (merge_pngs.py)
            continue
        try:  # O_NONBLOCK: a FIFO planted there is refused, not waited on
            fd = os.open(path, os.O_RDONLY | NOFOLLOW | BINARY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            continue
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # made a link since is_symlink() looked
                raise ValueError(f"{path} is a symbolic link; {_ONLY_INSIDE}") from None
            continue  # unreadable: the step that reads it says so
        try:
            why = not_own_file(fd, "it may be a file from outside the part")
        finally:
            os.close(fd)
        if why:
            raise ValueError(f"{path}: {why}; {_ONLY_INSIDE}")


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


def read_part(folder: Path) -> Part:
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
    for log in (clean, images):
        if log is not None and log.dropped:
            raise ValueError(f"{folder}/{log.describe_dropped()}; run the shard again "
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


def config_of(part: Part) -> StudyConfig:
    c = part.manifest["config"]
    d = part.definition
    if not isinstance(c, dict) or c.get("seed") != d.get("seed") or \
            c.get("per_tier") != d.get("per_tier") or c.get("tiers", "fixed") != d.get("tiers"):
        raise ValueError(f"{part.folder}: manifest.json disagrees with study.json (seed, "
                         "per-tier count or tiers); it was edited. Run the shard again to "
                         "rewrite it")
    return StudyConfig.from_dict(c)
