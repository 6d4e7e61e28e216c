"""Merging the shards of one study into the folder a single run would have written.

The parts must be one study (same definition, same attacks, the same classification), one each
of shards 1 ... N, none missing, no image twice, and every sampled image attacked by every
method x target x eps. The merged images.csv lists rows in the order one uninterrupted run
appends them (attack by attack, images in sample order), so its reports are those of that run.
"""

from __future__ import annotations

import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from advgui.core.records.row_log import read_csv, write_csv
from advgui.core.records.safe_write import atomic_write_file, atomic_write_json, open_folder, real_subfolder
from advgui.core.records.schema import IMAGE_COLUMNS, eps_key, image_key, validate_image_row
from advgui.core.records.shards import Shard
from advgui.core.records.config import (CLEAN_COLUMNS, StudyConfig, sample_rows,
                                      validate_clean_row)
from advgui.core.records.folder import (DEFINITION_NAME, StudyLock, check_out_folder,
                                       is_study_folder, read_definition, write_definition)
from advgui.core.records.identity import _differences, study_id
from advgui.core.study.reports import read_manifest, write_reports


@dataclass(frozen=True)
class Part:
    folder: Path
    shard: Shard
    definition: dict
    manifest: dict
    clean: list[dict]
    rows: list[dict]
    columns: tuple[str, ...] = tuple(IMAGE_COLUMNS)  # its images.csv's (an older one: fewer)


@dataclass(frozen=True)
class MergeOutcome:
    rows: int
    images: int
    summary: list[dict]


def _read_part(folder: Path) -> Part:
    if not folder.is_dir() or not is_study_folder(folder):
        raise ValueError(f"{folder} is not an advgui study folder")
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
    return Part(folder, Shard.parse(shard), kept["definition"], manifest, clean.rows,
                images.rows if images else [],
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
    config = _config_of(first)
    jobs = _jobs(config, int(first.definition["classes"]))
    for p in parts[1:]:
        if _jobs(_config_of(p), int(p.definition["classes"])) != jobs:
            raise ValueError(f"{p.folder} ran other attacks (methods, targets or eps) than "
                             f"{first.folder}; run every shard with the same options")
        if p.clean != first.clean:
            raise ValueError(f"{p.folder} and {first.folder} were classified separately and "
                             "differ; classify once (--classify-only) and give every shard "
                             "--clean-from")
    # Earlier runs of the shards may have attacked more (eps added, then left out): their rows
    # are the study's too, as in an unsharded folder, and must then be in every shard.
    seen = {(r["method"], r["target"], eps_key(r["eps"])) for p in parts for r in p.rows}
    jobs += sorted(seen - set(jobs), key=lambda j: (j[2], j[0], j[1]))
    chosen = sample_rows(first.clean, config.seed, config.per_tier)
    return chosen, jobs


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
        manifest = _merged_manifest(parts, out, len(rows))
        summary = write_reports(out, rows, manifest, f"{first.manifest['model']['name']} on "
                                f"{Path(first.manifest['config']['folder']).name}: "
                                f"{len({r['file'] for r in rows})} images")
    return MergeOutcome(len(rows), len({r["file"] for r in rows}), summary)


def _check_sources(parts: list[Part], rows: list[dict]) -> None:
    """Every PNG the merged rows name must be there before anything is written."""
    owner = {image_key(r): p.folder for p in parts for r in p.rows}
    missing = [owner[image_key(r)] / r["adversarial_png"] for r in rows
               if r["adversarial_png"] and not (owner[image_key(r)] / r["adversarial_png"]).is_file()]
    if missing:
        raise ValueError(f"{len(missing)} adversarial PNG(s) named by the parts' rows are "
                         f"missing (e.g. {missing[0]}); run that shard again to make them")


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
    """transfer.csv and destroy.csv of the parts, in the merged rows' order, then by model or
    transformation, with their summaries."""
    from advgui.core.study.extras import SCORINGS  # noqa: PLC0415 (loads the scorers)

    for scoring in SCORINGS:
        kind = scoring.kind
        found = [p.folder / kind.csv for p in parts if (p.folder / kind.csv).exists()]
        if not found:
            continue
        by_image: dict[tuple, list[dict]] = {}
        for path in found:
            for r in read_csv(path, kind.columns, scoring.validate).rows:
                by_image.setdefault(kind.key(r)[:-1], []).append(r)
        merged = [t for r in rows for t in sorted(by_image.get(image_key(r), []),
                                                  key=lambda t: t[kind.by])]
        write_csv(out / kind.csv, kind.columns, merged)
        write_csv(out / kind.summary_csv, kind.summary_columns, scoring.summarize(merged))


def _copy_pngs(parts: list[Part], rows: list[dict], out: Path) -> None:
    adversarial = real_subfolder(out, "adversarial")
    fd = open_folder(adversarial)
    owner = {}
    for p in parts:
        for r in p.rows:
            owner[image_key(r)] = p.folder
    try:
        for r in rows:
            if not r["adversarial_png"]:
                continue
            src = owner[image_key(r)] / r["adversarial_png"]
            name = Path(r["adversarial_png"]).name
            with open(src, "rb") as fh:
                atomic_write_file(adversarial / name, lambda dst, s=fh: shutil.copyfileobj(s, dst),
                                  dir_fd=fd)
    finally:
        if fd is not None:
            import os  # noqa: PLC0415

            os.close(fd)


def _merged_manifest(parts: list[Part], out: Path, rows: int) -> dict:
    first = dict(parts[0].manifest)
    config = dict(first["config"], shard=None, clean_from=None, out=str(out))
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
