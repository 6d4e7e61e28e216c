"""The rows of a study's images.csv and summary.csv: their columns, their keys and what makes a
row of images.csv usable.

Reading, merging and summarising a study need only this module (and row_log to parse the file):
nothing here loads a model, an attack or onnxruntime.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

from advgui.core.attacks.targets import Target
from advgui.core.tiers import Tier

IMAGE_COLUMNS = [
    "file", "truth", "truth_name", "tier", "clean_top1", "clean_top1_name", "clean_top1_probability",
    "clean_top5", "method", "target", "target_class", "target_name", "eps", "eps_unit", "alpha",
    "steps", "adv_top1", "adv_top1_name", "adv_top1_probability", "adv_top5",
    "adv_float_top1", "adv_float_top1_probability", "truth_in_clean_top5",
    "top1_error_truth", "top5_error_truth", "top1_error_clean", "top5_error_clean",
    "first_flip_step", "eps_to_flip", "linf", "l2", "psnr", "adversarial_png", "status", "error",
    "study_id",
    # Appended by later releases (an older images.csv reads with these cells empty):
    "eps_to_flip_float",  # the fast attack's float-domain eps-to-flip, to 1/64 level
    "adversarial_sha256",  # SHA-256 of the PNG's bytes as the study wrote them (merge checks it)
    "queries_to_flip",  # a query-based attack's model queries until the top-1 changed; inf: never
]
# The columns every images.csv a release wrote has (study_id aside: the oldest had none).
REQUIRED_IMAGE_COLUMNS = [c for c in IMAGE_COLUMNS[:IMAGE_COLUMNS.index("study_id")]]
SUMMARY_COLUMNS = [
    "tier", "method", "target", "eps", "images",
    "top1_error_truth_n", "top1_error_truth", "top1_error_truth_lo", "top1_error_truth_hi",
    "top5_error_truth_n", "top5_error_truth", "top5_error_truth_lo", "top5_error_truth_hi",
    "top1_error_clean", "top1_error_clean_lo", "top1_error_clean_hi",
    "top5_error_clean", "top5_error_clean_lo", "top5_error_clean_hi",
]
# The extras' rows (transfer.csv, destroy.csv) and their summaries: written by study.transfer and
# study.destroy, read back by merge and the tables through analysis.extras_schema.
TRANSFER_COLUMNS = [
    "file", "method", "target", "eps", "tier", "model", "model_sha256", "truth",
    "clean_top1", "clean_top1_name", "clean_top5", "adv_top1", "adv_top1_name", "adv_top5",
    "clean_correct", "top1_error_truth", "top5_error_truth", "top1_changed", "study_id",
]
TRANSFER_SUMMARY_COLUMNS = [
    "model", "tier", "method", "target", "eps", "images",
    "top1_error_truth_n", "top1_error_truth", "top1_error_truth_lo", "top1_error_truth_hi",
    "top5_error_truth_n", "top5_error_truth", "top5_error_truth_lo", "top5_error_truth_hi",
    "top1_changed", "top1_changed_lo", "top1_changed_hi",
]
DESTROY_COLUMNS = [
    "file", "method", "target", "eps", "tier", "transform", "label", "clean_top1", "adv_top1",
    "clean_t_top1", "adv_t_top1", "clean_correct", "adv_wrong", "clean_t_correct",
    "adv_t_correct", "study_id",
]
DESTROY_SUMMARY_COLUMNS = ["transform", "tier", "method", "target", "eps", "images", "counted",
                           "destroyed", "destruction_rate", "destruction_rate_lo",
                           "destruction_rate_hi", "clean_t_accuracy"]

_INT_COLUMNS = ("truth", "clean_top1", "target_class", "adv_top1", "steps", "first_flip_step", "linf")
_FLOAT_COLUMNS = ("clean_top1_probability", "adv_top1_probability", "l2", "eps_to_flip",
                  "eps_to_flip_float", "queries_to_flip")
# not measured (older studies, other methods)
_MAY_BE_EMPTY = ("eps_to_flip", "eps_to_flip_float", "queries_to_flip")
_FLAG_COLUMNS = ("top1_error_clean", "top5_error_clean")
_TRUTH_FLAGS = ("truth_in_clean_top5", "top1_error_truth", "top5_error_truth")
TIERS = {t.value for t in Tier}


def eps_key(value: float | str) -> float:
    """eps as the reports print it (6 significant digits): 8, 8.0 and 8.0000001 are one eps."""
    return float(f"{float(value):g}")


def image_key(row: dict) -> tuple:
    return row["file"], row["method"], row["target"], eps_key(row["eps"])


def adversarial_name(file: str, method: str, target_slug: str, eps: float) -> str:
    """The name of a row's PNG in adversarial/: its photo's stem and a hash of its path inside
    the images folder, then the attack. A study writes it, a merge checks a row names its own."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", PurePosixPath(file).stem)[:60]
    return (f"{stem}-{hashlib.sha1(file.encode()).hexdigest()[:8]}__{method}_{target_slug}"
            f"_eps{eps:g}.png")


def own_png(row: dict, classes: int) -> str:
    """The PNG a row of images.csv must name: its file, method, target and eps make it (a study
    writes it so). ValueError for a target that is no target of a `classes`-class model."""
    slug = Target.parse(row["target"], classes).slug
    return "adversarial/" + adversarial_name(row["file"], row["method"], slug,
                                             eps_key(row["eps"]))


def validate_image_row(row: dict[str, str]) -> str | None:
    """Why a row of images.csv cannot be used (a hand edit, a foreign line), or None."""
    if not row["file"] or not row["method"] or not row["target"]:
        return "file, method or target is empty"
    try:
        if not 0 < eps_key(row["eps"]) <= 255:
            return f"eps {row['eps']!r} is outside 0-255"
    except ValueError:
        return f"eps {row['eps']!r} is not a number"
    if row["status"] == "error":
        return None
    if row["status"] != "ok":
        return f"status {row['status']!r} is neither ok nor error"
    if row["tier"] not in TIERS:
        return f"tier {row['tier']!r} is not high, medium or low"
    for name in _INT_COLUMNS:
        try:
            int(row[name])
        except ValueError:
            return f"{name} {row[name]!r} is not a whole number"
    for name in _FLOAT_COLUMNS:
        if name in _MAY_BE_EMPTY and row.get(name, "") == "":
            continue  # not measured (older studies)
        try:
            float(row[name])
        except ValueError:
            return f"{name} {row[name]!r} is not a number"
    for name in _FLAG_COLUMNS:
        if row[name] not in ("0", "1"):
            return f"{name} {row[name]!r} is not 0 or 1"
    for name in _TRUTH_FLAGS:
        if row[name] not in ("", "0", "1"):
            return f"{name} {row[name]!r} is not 0, 1 or empty"
    for name in ("clean_top5", "adv_top5"):
        if len(top5_classes(row[name])) != 5:
            return f"{name} {row[name][:40]!r} does not list five classes"
    queries = row.get("queries_to_flip", "")
    if queries and queries != "inf" and not (queries.isdigit() and int(queries) >= 1):
        # what a study writes: the query (1 or more) that flipped it, or inf (never); a hand
        # edit's nan, 0 or -5 went into queries.csv's medians and flip rates without a word
        return f"queries_to_flip {queries[:20]!r} is neither a query count (1 or more) nor inf"
    digest = row.get("adversarial_sha256", "")
    if digest and not re.fullmatch(r"[0-9a-f]{64}", digest):
        return f"adversarial_sha256 {digest[:70]!r} is not a SHA-256 (64 hexadecimal digits)"
    return None


def png_sha256(data: bytes) -> str:
    """The adversarial_sha256 cell of a PNG's bytes."""
    return hashlib.sha256(data).hexdigest()


def top5_classes(text: str) -> list[int]:
    """The classes of a top-5 cell ('208:0.8123;...'), [] when it does not parse."""
    try:
        return [int(part.split(":")[0]) for part in text.split(";") if part]
    except ValueError:
        return []


def rescore_truth(row: dict, truth: int, names: list[str]) -> dict:
    """The row against another ground truth (a corrected labels file): only the truth columns
    change; the clean and adversarial top-5 it recorded decide them."""
    out = dict(row, truth=str(truth), truth_name=names[truth] if truth >= 0 else "")
    if row.get("status") != "ok":
        return out
    c5, a5 = top5_classes(row["clean_top5"]), top5_classes(row["adv_top5"])
    known = truth >= 0
    out.update(truth_in_clean_top5=str(int(truth in c5)) if known else "",
               top1_error_truth=str(int(a5[0] != truth)) if known else "",
               top5_error_truth=str(int(truth not in a5)) if known else "")
    return out
