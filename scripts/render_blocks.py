"""The tables of docs/results.md (from the committed study folders) and of the measured pages
(performance, gradient, guide, models: from their committed JSON records, benchmark_blocks.py).

    python scripts/render_blocks.py            # rewrite every generated block in place
    python scripts/render_blocks.py --check    # exit 1 naming each block that drifted

A block is the text between `<!-- generated: NAME -->` and `<!-- end -->`; NAME is one of
BLOCKS below, each a function of the records (scripts/results_record.py). The prose around the
blocks is hand-written; the numbers it quotes are checked against the same records by
tests/docs/test_quoted_numbers.py.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchmark_blocks  # noqa: E402
import results_record as R  # noqa: E402

PAGES = ("results.md", "performance.md", "gradient.md", "guide.md", "models.md")
VAL = "study-imagenet-val-eps8"
INCEPTION = "family-imagenet-val-inception"
EFFICIENTNET = "family-imagenet-val-efficientnet"
SQUARE = "square-imagenet-val-eps8"
NAMES = {"inception_v3": "InceptionV3", "efficientnet_lite0": "EfficientNet-Lite0"}
TARGET = {"inverse": "inverse", "least-likely": "least likely"}
# Below this many images a rate's interval says little: the cell gives the count instead.
COUNT_BELOW = 30

_BLOCK = re.compile(r"^(<!-- generated: ([\w-]+) -->\n)(.*?)^(<!-- end -->)$", re.S | re.M)


def _table(head: list[str], body: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(row) + " |" for row in body])


def _cell(c: R.Count) -> str:
    if c.n == 0:
        return "—"
    if c.n < COUNT_BELOW:
        return f"{c.k} of {c.n}"
    return c.cell(1).replace(" [", " % [")


def seed_table() -> str:
    """The seed's table for the held-out imagenet-val study: tiers x (iterative, fast)."""
    body = []
    for tier in R.rr.TIERS:
        n1 = R.error(VAL, tier, "fast", "inverse", 8, 1).n
        n5 = R.error(VAL, tier, "fast", "inverse", 8, 5).n
        label = (f"{tier}: {R.images(VAL, tier)} photos (top-1 over {n1}, top-5 over {n5})")
        for method in ("iterative", "fast"):
            cells = [_cell(R.error(VAL, tier, method, target, 8, top))
                     for target in ("inverse", "least-likely") for top in (5, 1)]
            body.append([label, method] + cells)
    note = ("Cells: error % [Wilson 95 %] of the exact count; below "
            f"{COUNT_BELOW} images, the count itself; — where no image counts "
            "(e.g. no low-tier photo was right when clean).")
    return _table(["tier", "method", "inverse top-5", "inverse top-1", "least likely top-5",
                   "least likely top-1"], body) + "\n\n" + note


def deciles() -> str:
    """Flip rate by confidence decile, median eps-to-flip, Spearman's rho (held-out study)."""
    body = []
    for method in ("fast", "iterative"):
        for target in ("inverse", "least-likely"):
            (d1, m1), (d5, _), (d10, m10) = (R.decile(VAL, method, target, 8, b)
                                             for b in (1, 5, 10))
            rho, lo, hi = R.spearman(VAL, method, target, 8)
            body.append([f"{method} {TARGET[target]}", d1.cell() + " %", d5.cell() + " %",
                         d10.cell() + " %", f"{m1} → {m10} levels",
                         f"{rho:+.3f} [{lo:+.3f}, {hi:+.3f}]"])
    sizes = sorted({R.decile(VAL, "fast", "inverse", 8, b)[0].n for b in range(1, 11)})
    return (_table(["attack", "least confident decile", "5th", "most confident decile",
                    "median eps-to-flip, least → most confident decile", "ρ"], body)
            + f"\n\nFlipped: top-1 changed at eps 8, % [Wilson 95 %]; deciles of "
            f"{'–'.join(map(str, sizes))} photos. Median eps-to-flip: fast, the first level of "
            "this record's 17-level grid that flips; iterative, the L∞ at its first flipping "
            "step. ρ: Spearman's, with the study's 95 % bootstrap interval.")


def family(folder: str) -> str:
    """White-box, transfer and JPEG-75 destruction per target and method at eps 8 and 16."""
    m = R.manifest(folder)
    source = NAMES[m["model"]["name"]]
    other = NAMES[R.extras(folder).transfer[0]["model"]]
    head = ["target", "method"]
    for eps in (8, 16):
        head += [f"ε {eps}: white-box", f"ε {eps}: → {other}", f"ε {eps}: JPEG-75 d"]
    body = []
    for target in ("inverse", "least-likely"):
        for method in ("fast", "iterative", "pgd", "momentum"):
            row = [target, method]
            for eps in (8, 16):
                d = R.destroyed(folder, method, target, eps)
                row += [R.error(folder, "all", method, target, eps).cell(),
                        R.transfer(folder, method, target, eps).cell(),
                        f"{d.cell()} {d.k}/{d.n}"]
            body.append(row)
    white = R.error(folder, "all", "fast", "inverse", 8).n
    moved = R.transfer(folder, "fast", "inverse", 8).n
    return (f"**{source} → {other}** (all {R.images(folder, 'all')} images):\n\n"
            + _table(head, body)
            + f"\n\nTop-1 error, % [Wilson 95 %]; white-box over the {white} images {source} got "
            f"right when clean, transfer over the {moved} {other} got right, d as "
            "destroyed/counted.")


def l2_order() -> str:
    """Median L2 of the perturbations at eps 8 on InceptionV3, both targets."""
    methods = ("fast", "momentum", "pgd", "iterative")
    return _table(list(methods), [[f"{R.median_l2(INCEPTION, m, 8):,.0f}" for m in methods]])


def square_table() -> str:
    """Square Attack beside the white-box methods and the noise control: top-1 and top-5 error
    vs truth per tier (inverse, eps 8)."""
    methods = ("square", "iterative", "fast", "noise")
    body = []
    for tier in R.rr.TIERS:
        n1 = R.error(SQUARE, tier, "square", "inverse", 8, 1).n
        n5 = R.error(SQUARE, tier, "square", "inverse", 8, 5).n
        size = R.images(SQUARE, tier)
        over = [f"top-1 over {n1}" if n1 else "none right when clean"]
        over += [f"top-5 over {n5}"] if n5 != size else []
        body.append([f"{tier} ({size}; {', '.join(over)})"]
                    + [_cell(R.error(SQUARE, tier, m, "inverse", 8, top))
                       for top in (1, 5) for m in methods])
    return _table(["tier"] + [f"{m} top-{top}" for top in (1, 5) for m in methods], body)


def square_queries() -> str:
    """Queries to flip per tier (queries.csv): flipped within the budget, median, mean."""
    budget = R.manifest(SQUARE)["config"]["queries"]
    body = []
    for tier in R.rr.TIERS + ["all"]:
        c, row = R.flipped(SQUARE, tier)
        body.append([tier, f"{c.k} of {c.n} ({c.pct(1)} % [{c.cell(1).split(' [')[1]})",
                     row["median_queries_flipped"], row["mean_queries_flipped"]])
    return _table(["tier", f"flipped within {budget:,}", "median queries (flipped)",
                   "mean queries (flipped)"], body)


BLOCKS = {
    "seed-table": seed_table,
    "deciles": deciles,
    "family-inception": lambda: family(INCEPTION),
    "family-efficientnet": lambda: family(EFFICIENTNET),
    "l2-order": l2_order,
    "square-table": square_table,
    "square-queries": square_queries,
    **benchmark_blocks.BLOCKS,
}


def render_page(text: str) -> str:
    """The page with every generated block re-rendered; an unknown block name is an error."""
    def fill(match: re.Match) -> str:
        name = match.group(2)
        if name not in BLOCKS:
            raise KeyError(f"unknown generated block {name!r}")
        return match.group(1) + BLOCKS[name]() + "\n" + match.group(4)
    return _BLOCK.sub(fill, text)


def drifted(docs: Path = R.DOCS) -> list[str]:
    out = []
    for page in PAGES:
        text = (docs / page).read_text(encoding="utf-8")
        for before, after in zip(_BLOCK.finditer(text), _BLOCK.finditer(render_page(text))):
            if before.group(0) != after.group(0):
                out.append(f"docs/{page}: block {before.group(2)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        stale = drifted()
        for what in stale:
            print(f"render_blocks: {what} differs from its records; run "
                  "python scripts/render_blocks.py", file=sys.stderr)
        return 1 if stale else 0
    for page in PAGES:
        path = R.DOCS / page
        path.write_text(render_page(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(path.relative_to(R.DOCS.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
