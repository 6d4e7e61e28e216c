"""The committed study folders under docs/, read once, as exact counts: what the generated
blocks of docs/results.md (scripts/render_blocks.py) and the numbers its readings quote
(tests/docs/test_quoted_numbers.py) are computed from.

Every rate is an integer count over its denominator (exact_counts.exact_* recompute them from
the summary CSVs and refuse a CSV whose 4-decimal text its counts do not give); row-level figures
(median L2, paired counts) are read from the folders' gzipped row logs. CSV and JSON only.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import statistics
from dataclasses import dataclass
from functools import lru_cache
from math import comb

import render_results as rr
import exact_counts  # (rr put scripts/ on the path)

from advgui.core.analysis.queries import QUERIES_COLUMNS  # noqa: E402  (rr put the repo on the path)

DOCS = rr.DOCS


@dataclass(frozen=True)
class Count:
    """k of n, with Wilson's 95 % interval of the exact fraction."""
    k: int
    n: int

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return rr.wilson(self.k, self.n)

    def pct(self, digits: int = 0) -> str:
        """'79' or '92.7': the rate as a percentage."""
        return f"{100 * self.rate:.{digits}f}"

    def cell(self, digits: int = 0) -> str:
        """'79 [64, 89]': rate and interval in percent."""
        lo, hi = self.interval
        return f"{100 * self.rate:.{digits}f} [{100 * lo:.{digits}f}, {100 * hi:.{digits}f}]"


def _count(row: dict, key: str, n: int) -> Count:
    return Count(round(row[key] * n), n) if n else Count(0, 0)


@lru_cache(maxsize=None)
def summary(folder: str) -> tuple[dict, ...]:
    return tuple(rr.exact_summary(DOCS / folder))


@lru_cache(maxsize=None)
def extras(folder: str) -> exact_counts.Extras:
    return rr.exact_extras(DOCS / folder)


@lru_cache(maxsize=None)
def manifest(folder: str) -> dict:
    return json.loads((DOCS / folder / "manifest.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def rows(folder: str, name: str) -> tuple[dict, ...]:
    """A gzipped row log (images, clean, transfer, destroy) as dicts of text."""
    with gzip.open(DOCS / folder / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(io.StringIO(fh.read())))


def _one(found: list[dict], what: str) -> dict:
    if len(found) != 1:
        raise LookupError(f"{what}: {len(found)} rows")
    return found[0]


def _match(row: dict, **key) -> bool:
    return all(str(row[k]) == str(v) for k, v in key.items())


def error(folder: str, tier: str, method: str, target: str, eps, top: int = 1) -> Count:
    """White-box top-k error vs truth over the images right (top-k) when clean."""
    key = f"top{top}_error_truth"
    row = _one([r for r in summary(folder) if _match(r, tier=tier, method=method, target=target,
                                                      eps=eps)], f"{folder} {tier} {method}")
    return _count(row, key, int(row[key + "_n"]))


def images(folder: str, tier: str) -> int:
    """Images attacked in a tier (the same for every method of the study)."""
    return max(int(r["images"]) for r in summary(folder) if r["tier"] == tier)


def transfer(folder: str, method: str, target: str, eps, tier: str = "all") -> Count:
    row = _one([r for r in extras(folder).transfer if _match(r, tier=tier, method=method,
                                                              target=target, eps=eps)],
               f"{folder} transfer {method}")
    return _count(row, "top1_error_truth", int(row["top1_error_truth_n"]))


def destroyed(folder: str, method: str, target: str, eps, tier: str = "all") -> Count:
    row = _one([r for r in extras(folder).destroy if _match(r, tier=tier, method=method,
                                                             target=target, eps=eps)],
               f"{folder} destroy {method}")
    return Count(int(row["destroyed"]), int(row["counted"]))


def decile(folder: str, method: str, target: str, eps, bin_: int) -> tuple[Count, str]:
    """(flipped of the decile's images, its median eps-to-flip) from fragility.csv."""
    bins, _ = rr.exact_fragility(DOCS / folder)
    row = _one([b for b in bins if _match(b, group="decile", bin=bin_, method=method,
                                           target=target, eps=eps)], f"{folder} decile {bin_}")
    return Count(int(row["flipped"]), int(row["images"])), row["median_eps_to_flip"]


def spearman(folder: str, method: str, target: str, eps) -> tuple[float, float, float]:
    _, correlations = rr.exact_fragility(DOCS / folder)
    row = _one([r for r in correlations if _match(r, method=method, target=target, eps=eps)],
               f"{folder} spearman {method}")
    return float(row["spearman"]), float(row["spearman_lo"]), float(row["spearman_hi"])


def clean(folder: str) -> dict:
    """Clean accuracy of the study's images: counts of top-1 and top-5 right, and tier sizes."""
    ok = [r for r in rows(folder, "clean") if r["status"] == "ok"]
    tiers = {t: sum(r["tier"] == t for r in ok) for t in rr.TIERS}
    return {"images": len(ok), "tiers": tiers,
            "top1": Count(sum(r["top1"] == r["truth"] for r in ok), len(ok))}


def clean_top5(folder: str) -> Count:
    """Images whose label is in the clean top-5, from the attack rows (one per image and attack;
    images.csv holds the clean top-5, clean.csv only the top-1)."""
    seen = {}
    for r in rows(folder, "images"):
        seen[r["file"]] = r["truth_in_clean_top5"] == "1"
    return Count(sum(seen.values()), len(seen))


def median_l2(folder: str, method: str, eps) -> float:
    """Median L2 (pixel levels) of the method's perturbations at eps, both targets."""
    return statistics.median(float(r["l2"]) for r in rows(folder, "images")
                             if r["method"] == method and r["eps"] == str(eps)
                             and r["status"] == "ok")


def _fooled_transfer(folder: str) -> dict:
    """{(file, method, target, eps): fooled} over the images the transfer model got right."""
    return {(r["file"], r["method"], r["target"], r["eps"]): r["top1_error_truth"] == "1"
            for r in rows(folder, "transfer") if r["clean_correct"] == "1"}


def paired_transfer(a: str, b: str, folders=("family-imagenet-val-inception",
                                            "family-imagenet-val-efficientnet"),
                    eps=("8", "16")) -> tuple[int, int]:
    """(images fooled in transfer by method a only, by method b only), pooled over both
    directions, both targets and the given eps, on the same images."""
    only_a = only_b = 0
    for folder in folders:
        fooled = _fooled_transfer(folder)
        for (file, method, target, e), hit in fooled.items():
            if method != a or e not in eps:
                continue
            other = fooled.get((file, b, target, e))
            if other is None:
                continue
            only_a += hit and not other
            only_b += other and not hit
    return only_a, only_b


def paired_whitebox(folder: str, method: str, target: str, eps_a, eps_b) -> tuple[int, int]:
    """(images fooled at eps_a and not eps_b, the other way round), top-1 vs truth, over the
    images right when clean."""
    fooled = {(r["file"], r["eps"]): r["top1_error_truth"] == "1"
              for r in rows(folder, "images") if r["method"] == method and r["target"] == target
              and r["clean_top1"] == r["truth"] and r["status"] == "ok"}
    files = {f for f, _ in fooled}
    a = sum(fooled.get((f, str(eps_a)), False) and not fooled.get((f, str(eps_b)), True)
            for f in files)
    b = sum(fooled.get((f, str(eps_b)), False) and not fooled.get((f, str(eps_a)), True)
            for f in files)
    return a, b


def exact_sign_p(a: int, b: int) -> float:
    """Two-sided exact sign test (McNemar's exact) of a against b discordant pairs."""
    n, low = a + b, min(a, b)
    return min(1.0, 2 * sum(comb(n, i) for i in range(low + 1)) / 2 ** n)


@lru_cache(maxsize=None)
def queries(folder: str) -> tuple[dict, ...]:
    """queries.csv (a query-based attack's queries to flip, per tier), each flip rate recomputed
    from its integer count."""
    return tuple(rr.exact_rate(row, "flip_rate", int(row["images"]),
                               exact_counts._where(folder, "queries.csv", row),
                               k=int(row["flipped"]))
                 for row in exact_counts._read(DOCS / folder, "queries.csv", QUERIES_COLUMNS))


def flipped(folder: str, tier: str, method: str = "square") -> tuple[Count, dict]:
    """(images whose top-1 changed within the budget, the queries.csv row) of a tier."""
    row = _one([r for r in queries(folder) if _match(r, tier=tier, method=method)],
               f"{folder} queries {tier}")
    return Count(int(row["flipped"]), int(row["images"])), row


def queries_to_flip(folder: str, method: str = "square", tier: str | None = None,
                    right_when_clean: bool = False) -> list[float]:
    """Each image's queries to flip from images.csv (inf where the budget ran out), in a tier
    (None: all) and, if asked, only over the images whose clean top-1 was the truth."""
    return [float(r["queries_to_flip"]) for r in rows(folder, "images")
            if r["method"] == method and r["status"] == "ok"
            and (tier is None or r["tier"] == tier)
            and (not right_when_clean or r["clean_top1"] == r["truth"])]


def median_psnr(folder: str, method: str) -> float:
    return statistics.median(float(r["psnr"]) for r in rows(folder, "images")
                             if r["method"] == method and r["status"] == "ok")
