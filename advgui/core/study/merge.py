"""Merging the shards of one study into the folder a single run would have written.

The parts are read (merge_parts.py) and must be one whole study (merge_checks.py) with every
PNG their rows name in place (merge_pngs.py) before anything is written; then OUT gets the
merged rows, in the order one uninterrupted run appends them, the PNGs, the extras, the
features and the reports, so its reports are those of that run.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from advgui.core.records.config import CLEAN_COLUMNS
from advgui.core.records.features_file import merge_features
from advgui.core.records.folder import (StudyLock, check_out_folder, is_study_folder,
                                        read_definition, write_definition)
from advgui.core.records.identity import study_id
from advgui.core.records.row_log import read_csv, write_csv
from advgui.core.records.safe_write import atomic_write_json
from advgui.core.records.schema import IMAGE_COLUMNS, image_key
from advgui.core.study.merge_checks import check_parts, ordered_rows
from advgui.core.study.merge_parts import Part, config_of, read_part
from advgui.core.study.merge_pngs import check_sources, copy_pngs
from advgui.core.study.reports import read_manifest, write_reports
from advgui.core.wording import count_noun


@dataclass(frozen=True)
class MergeOutcome:
    rows: int
    images: int
    summary: list[dict]


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
        parts = [read_part(f) for f in folders]
        chosen, jobs = check_parts(parts)
        parts.sort(key=lambda p: p.shard.index)
        rows = ordered_rows(parts, chosen, jobs)
        first = parts[0]
        check_sources(parts, rows)
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
        copy_pngs(parts, rows, out)
        # The columns the parts have: shards of an older release merge into an older file.
        write_csv(out / "images.csv", IMAGE_COLUMNS[:max(len(p.columns) for p in parts)], rows)
        _merge_transfer(parts, rows, out)
        merge_features([p.folder for p in parts], out, rows)  # the feature projection's record
        manifest = _merged_manifest(parts, out, len(rows))
        summary = write_reports(out, rows, manifest, f"{first.manifest['model']['name']} on "
                                f"{Path(first.manifest['config']['folder']).name}: "
                                f"{count_noun(len({r['file'] for r in rows}), 'image')}")
    return MergeOutcome(len(rows), len({r["file"] for r in rows}), summary)


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


def _merged_manifest(parts: list[Part], out: Path, rows: int) -> dict:
    first = dict(parts[0].manifest)
    # The whole study's config: the parts' one (checked alike) as one run would have written it.
    config = replace(config_of(parts[0]), shard=None, clean_from=None, out=out).to_dict()
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
