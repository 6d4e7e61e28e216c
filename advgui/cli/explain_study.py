"""advgui-cli explain-study: for a study, where in the network clean and adversarial images part.

Writes into its own --out folder (never into the study: a study folder has one writer, its study):
- divergence_by_tier.png / .csv: per tier, the mean relative L2 and cosine of every block with
  each mean's 95 % bootstrap interval and n (advgui/core/analysis/divergence_profile.py,
  docs/explain.md), so the seed's question gets one more angle: do confident images part later?
The study's own feature_projection.png (its features phase) is the 2-D view of the same rows.
Reads the study's rows and images; never changes its records.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from advgui.cli.options import add_model_arguments, load_model, model_options
from advgui.cli.progress import ProgressBar
from advgui.core.analysis.divergence_profile import (FEW, TIERS, divergence_by_tier,
                                                     profile_csv, profile_png)
from advgui.core.records.folder import read_definition, study_folder_holding
from advgui.core.study.reports import read_manifest


def add_parser(sub) -> None:
    p = sub.add_parser("explain-study", help="layer divergence per tier of a study's clean and "
                                             "adversarial images")
    p.add_argument("study", type=Path, help="the study folder (read only)")
    p.add_argument("--out", type=Path, required=True,
                   help="where divergence_by_tier.png and .csv go (outside the study folder)")
    p.add_argument("--method", help="which method's adversarials (default: the first row's)")
    p.add_argument("--target", help="which target's adversarials (default: the first row's; "
                                    "one target, so each image counts once)")
    p.add_argument("--eps", help="which eps (default: the first row's)")
    p.add_argument("--images", type=Path, help="the folder the study read (default: the one in "
                                               "its manifest.json)")
    add_model_arguments(p)
    p.set_defaults(func=cmd_explain_study)


def _rows(study: Path, method: str | None, target: str | None,
          eps: str | None) -> list[dict]:
    from advgui.api import read_study  # noqa: PLC0415

    rows = [r for r in read_study(study).images if r.get("status") == "ok"
            and r.get("adversarial_png") and r.get("method") != "noise"]
    if not rows:
        raise ValueError(f"{study}: no adversarial images to explain")
    # one target: a study attacks each image towards every target, and rows of two targets
    # would count each image twice (and its bootstrap would resample the copies as independent)
    method, eps = method or rows[0]["method"], eps or rows[0]["eps"]
    target = target or rows[0].get("target")
    chosen = [r for r in rows if r["method"] == method and r["eps"] == eps
              and r.get("target") == target]
    if not chosen:
        raise ValueError(f"{study}: no rows with method {method}, target {target} and eps {eps}")
    if not any(r.get("tier") in TIERS for r in chosen):
        raise ValueError(f"{study}: no row of method {method} and eps {eps} has a tier "
                         f"({', '.join(TIERS)})")
    return chosen


def _check_out(study: Path, out: Path) -> None:
    inside = (study.resolve() if out.resolve() == study.resolve()
              or study.resolve() in out.resolve().parents else study_folder_holding(out))
    if inside is not None:  # this study's or another's: a study folder's only writer is its study
        raise ValueError(f"{out}: inside the study folder {inside}; its only writer is its study")
    if out.is_symlink() and not out.exists():
        raise ValueError(f"--out {out} is a link to {os.readlink(out)}, which does not exist; "
                         "give a folder, or create the link's target first")
    there = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not there.is_dir():  # out, or the folder it would be made in
        raise ValueError(f"--out {out}: {there} is a file, not a folder; give a folder for "
                         "divergence_by_tier.png and .csv")


def _load(load_rgb, path: Path):
    """The image at path; a refusal names the file (load_rgb's own message does not)."""
    try:
        return load_rgb(path)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def cmd_explain_study(args: argparse.Namespace) -> int:
    from advgui.core.explain import Explainer  # noqa: PLC0415
    from advgui.core.explain.maps import divergence  # noqa: PLC0415
    from advgui.core.model.images import load_rgb  # noqa: PLC0415
    from advgui.core.records.safe_write import atomic_write_bytes  # noqa: PLC0415

    study, out = args.study, args.out
    _check_out(study, out)  # before the model loads and every image is run: else all is lost
    rows = _rows(study, args.method, args.target, args.eps)
    # damaged or hand-edited records give {} / None (not a traceback, not numpy's own words)
    config = read_manifest(study).get("config")
    folder = config.get("folder") if isinstance(config, dict) else None
    if args.images is None and not isinstance(folder, str):
        raise ValueError(f"{study}: its manifest.json does not say where the study's photos are "
                         "(missing or damaged); give their folder with --images")
    images = args.images or Path(folder)
    if not images.is_dir():  # the manifest's folder is as the study was given it (often relative)
        raise ValueError(f"{images}: the study's photos are not there (seen from here); give "
                         "their folder with --images")
    clf = load_model(model_options(args))
    definition = read_definition(study)
    if definition is None:
        raise ValueError(f"{study}: its study.json is missing or damaged, so the model it was "
                         "run with is not known; run the study again to write it")
    want = definition["definition"].get("model_sha256")
    if want and want != clf.sha256:
        raise ValueError(f"{study} was run with another model (sha256 {want[:12]}…); give it "
                         "with --model")
    explainer = Explainer(clf)
    parts = explainer.parts
    names = tuple(b.name for b in parts.blocks)
    pre = clf.preprocessing
    divs, kept = [], []
    bar = ProgressBar(len(rows), "explain-study")
    for row in rows:
        clean = pre.to_model(pre.load(_load(load_rgb, images / row["file"]))[None])[0]
        adv_pixels = np.asarray(_load(load_rgb, study / row["adversarial_png"]))
        adv = pre.to_model(adv_pixels[None])[0]
        a_clean, a_adv = explainer.activations(clean), explainer.activations(adv)
        divs.append(divergence(names, a_clean, a_adv))
        kept.append(row)
        bar.update()
    bar.close()
    tiers = [r["tier"] for r in kept]
    tier_rows = divergence_by_tier(names, tiers, np.array([d.relative_l2 for d in divs]),
                                   np.array([d.cosine for d in divs]))
    method, target, eps = kept[0]["method"], kept[0].get("target"), kept[0]["eps"]
    title = f"{clf.name}, {method} {target} eps {eps}, {sum(t in TIERS for t in tiers)} images"
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "divergence_by_tier.csv", profile_csv(tier_rows).encode())
    atomic_write_bytes(out / "divergence_by_tier.png", profile_png(tier_rows, names, title))
    for name in ("divergence_by_tier.png", "divergence_by_tier.csv"):
        print(f"saved {out / name}")
    for tier in TIERS:  # said here too: a reader of the CSV alone sees a tier missing or a nan
        count = tiers.count(tier)
        if count == 0:
            print(f"tier {tier}: no images, left out")
        elif count == 1:
            print(f"tier {tier}: 1 image, no interval")
        elif count < FEW:
            print(f"tier {tier}: {count} images, its intervals hold the mean less often than "
                  "95 % (a bootstrap of few images; docs/explain.md)")
    return 0
