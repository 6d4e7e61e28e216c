"""What makes shards one whole study, and the refusals when they are not: one definition, one
each of shards 1 ... N, the same attacks, classification and extras, every row this study's
own as its part made it, no image twice and none missing.

check_parts and ordered_rows run before merge writes anything: a refusal leaves --out as it
was. The merged rows come out in the order one uninterrupted run appends them (attack by
attack, images in sample order), so their reports are that run's.
"""

from __future__ import annotations

from pathlib import Path

from advgui.core.analysis.extras_schema import EXTRAS
from advgui.core.records.config import StudyConfig, sample_rows
from advgui.core.records.identity import _differences, study_id
from advgui.core.records.schema import eps_key, image_key, own_png
from advgui.core.records.shards import Shard
from advgui.core.study.merge_parts import Part, config_of


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
    ours = config_of(first).to_dict()
    for p in parts[1:]:
        theirs = config_of(p).to_dict()
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
    config = config_of(first)
    classes = int(first.definition["classes"])
    jobs = _jobs(config, classes)
    for p in parts[1:]:
        if _jobs(config_of(p), int(p.definition["classes"])) != jobs:
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
        own = own_png(r, classes)
    except ValueError as exc:
        return str(exc)
    if png == own:
        return None
    inside = png.startswith("adversarial/") and "/" not in png[len("adversarial/"):] \
        and "\\" not in png and png[len("adversarial/"):] not in ("", ".", "..")
    if not inside:
        return f"adversarial_png {png!r} leaves the part's adversarial/ folder"
    return f"adversarial_png {png!r} is another row's PNG (this row's is {own!r})"


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


def ordered_rows(parts: list[Part], chosen: list[dict],
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
