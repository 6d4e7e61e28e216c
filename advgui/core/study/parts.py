"""A study run in parts: each shard's folder holds its own part only, and the shards share one
classification of the folder (a classify-only study given to them with --clean-from)."""

from __future__ import annotations

from pathlib import Path

from advgui.core.records.row_log import read_csv, write_csv
from advgui.core.records.config import CLEAN_COLUMNS, StudyConfig, validate_clean_row
from advgui.core.records.folder import StudyLock
from advgui.core.records.identity import _shown, check_classification, study_id


def _name(shard: str | None) -> str:
    return f"shard {shard}" if shard else "the whole study (no --shard)"


def check_part(out: Path, earlier: dict, shard: str | None) -> None:
    """Refuse to resume a folder as another part than it holds: a merge would then count its
    images twice or never."""
    if "config" not in earlier:
        return
    before = earlier["config"].get("shard")
    if before != shard:
        raise ValueError(f"{out} holds {_name(before)} of this study; this run asks for "
                         f"{_name(shard)}. Resume it as {_name(before)}, or choose another "
                         "output folder.")


def _but_truth(rows: list[dict]) -> list[dict]:
    """The rows without their truth: a labels file (--truth) re-scores them on every resume."""
    return [{k: v for k, v in r.items() if k != "truth"} for r in rows]


def import_clean(config: StudyConfig, definition: dict, listed: list[str]) -> None:
    """Take the clean.csv of a classify-only study of the same folder, model and tiers (its
    seed and per-tier count may differ: they choose the sample, not the verdicts); listed
    are the images folder's files (relative paths), which a first run's must classify
    exactly."""
    source = config.clean_from
    src, dst = source / "clean.csv", config.out / "clean.csv"
    if not src.is_file():
        raise ValueError(f"--clean-from {source}: it has no clean.csv. Classify the folder once "
                         f"with: advgui-cli study {config.folder} --out {source} --classify-only, "
                         "and let it finish")
    with StudyLock(source, shared=True):  # never read a clean.csv a run is still writing
        log = read_csv(src, CLEAN_COLUMNS, validate_clean_row)
    if log.dropped:
        raise ValueError(f"--clean-from {source}: clean.csv has {len(log.dropped)} damaged "
                         "line(s); classify the folder again")
    try:
        check_classification(source, definition, {r["study_id"] for r in log.rows})
    except ValueError as exc:
        raise ValueError(f"--clean-from {source} is the classification of another study, not "
                         f"of this one: {exc}. Classify the folder with this study's model and "
                         "tier options (--classify-only) and use that") from None
    # The verdicts are this study's: its rows carry this study's id, as an unsharded run's do.
    rows = [dict(r, study_id=study_id(definition)) for r in log.rows]
    if dst.exists():
        if _but_truth(read_csv(dst, CLEAN_COLUMNS, validate_clean_row).rows) != \
                _but_truth(rows):
            raise ValueError(f"{config.out}/clean.csv differs from --clean-from {src}: this part "
                             "was classified separately. Choose a new output folder for it.")
        return  # a resume: its own checks refuse photos added or changed since
    # A first run: the classification must be of exactly this folder's photos (a larger
    # folder's would make rows of photos not here, and a clean.csv that is not this folder's).
    known, here = {r["file"] for r in log.rows}, set(listed)
    if known != here:
        extra, lacking = sorted(known - here), sorted(here - known)
        raise ValueError(
            f"--clean-from {source} is the classification of another folder than {config.folder}"
            ": " + "; ".join(filter(None, (
                f"it lists {len(extra)} file{'s' if len(extra) != 1 else ''} not there "
                f"({_shown(extra)})" if extra else "",
                f"it lacks {len(lacking)} file{'s' if len(lacking) != 1 else ''} there "
                f"({_shown(lacking)})" if lacking else ""))) + ". Classify this folder once "
            f"with: advgui-cli study {config.folder} --out NEW --classify-only, and use that")
    write_csv(dst, CLEAN_COLUMNS, rows)
