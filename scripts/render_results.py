"""The published results, rendered from their committed study folders: docs/results/FOLDER.md,
and docs/FOLDER/RECORD.md (what the folder's files are: scripts/record_notes.py).

    python scripts/render_results.py            # write docs/results/*.md (and RECORD.md)
    python scripts/render_results.py --check    # re-render in memory; exit 1 naming what drifted

Every number on those pages comes from the folder's summary CSVs through the project's own
readers and tables (records.row_log, analysis.tables, analysis.beside_table, analysis.fragility),
so the text and the record cannot drift: tests/docs/test_results_render.py runs --check.

The summaries hold a rate to 4 decimals beside its denominator. Printing from that rounded text
rounds twice (Wilson's lower end of 8/26 is 16.501 %, stored as 0.1650 and printed 16 as a
whole percent, where the exact value gives 17), so each rate is taken back to its integer
count: the one numerator k in 0..n whose k/n the study wrote as that 4-decimal text (or the
count the CSV itself holds: destroyed, flipped). The rate and its Wilson interval
are then recomputed from k and n (analysis.stats.wilson) and the CSV's interval must agree to
its 4 decimals; a record that does not is refused loudly (RecordMismatch), never rendered.

Reads CSV and JSON only: nothing here loads onnxruntime or a model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advgui.core.analysis.beside_table import (Extras, beside_heading, beside_rows,  # noqa: E402
                                               format_beside_markdown, read_extras)
from advgui.core.analysis.fragility import (CORRELATION_COLUMNS, FRAGILITY_COLUMNS,  # noqa: E402
                                            MEASURES, ties_note)
from advgui.core.analysis.stats import wilson  # noqa: E402
from advgui.core.analysis.summary import uses_truth  # noqa: E402
from advgui.core.analysis.tables import format_markdown, format_rate, method_order  # noqa: E402
from advgui.core.records.row_log import read_csv  # noqa: E402
from advgui.core.records.schema import SUMMARY_COLUMNS  # noqa: E402
from advgui.core.tiers import Tier  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import fragility_ties  # noqa: E402
import record_notes  # noqa: E402

DOCS = ROOT / "docs"
RESULTS = "results"  # docs/results/FOLDER.md
# The committed study folders whose results the docs publish.
FOLDERS = ("study-imagenet-val-eps8", "family-imagenet-val-inception",
           "family-imagenet-val-efficientnet", "pilot-nips17-family", "square-imagenet-val-eps8")
TIERS = [t.value for t in Tier]
FIGURES = {  # what each figure a study writes shows (others are listed by file name)
    "fragility.png": "Flip rate and eps-to-flip against clean confidence",
    "error_vs_eps.png": "Error rate against eps, per method, target and tier",
}


class RecordMismatch(ValueError):
    """A summary whose rate or interval is not what its own counts give."""


# --- exact fractions -------------------------------------------------------------------------

def _where(folder: str, csv_name: str, row: dict) -> str:
    key = ", ".join(f"{k}={row[k]}" for k in ("model", "transform", "tier", "method", "target",
                                             "eps", "group", "bin") if k in row)
    return f"{folder}/{csv_name} ({key})"


def numerator(rate: str, n: int, where: str) -> int:
    """The one count k in 0..n whose k/n the study wrote as ``rate`` (f'{k / n:.4f}')."""
    if n == 0:
        if rate.strip().lower() != "nan":
            raise RecordMismatch(f"{where}: rate {rate!r} over a denominator of 0")
        return 0
    centre = round(float(rate) * n) if rate.strip().lower() != "nan" else -1
    found = [k for k in range(max(0, centre - 2), min(n, centre + 2) + 1) if f"{k / n:.4f}" == rate]
    if len(found) != 1:
        raise RecordMismatch(f"{where}: rate {rate!r} is no count out of n={n} "
                             f"({'several fit' if found else 'none fits'} to 4 decimals)")
    return found[0]


def exact_rate(row: dict, key: str, n: int, where: str, k: int | None = None) -> dict:
    """row with key, key_lo, key_hi recomputed from the integer count (floats, not 4-decimal
    text), after checking that the CSV's text is what those counts give to its 4 decimals."""
    if k is None:
        k = numerator(row[key], n, where)
    rate = k / n if n else float("nan")
    if (f"{rate:.4f}" if n else "nan") != row[key].strip().lower():
        raise RecordMismatch(f"{where}: {key} is {row[key]!r}, but {k}/{n} is {rate:.4f}")
    lo, hi = wilson(k, n)
    for name, value in ((key + "_lo", lo), (key + "_hi", hi)):
        if name in row and f"{value:.4f}" != row[name]:
            raise RecordMismatch(f"{where}: {name} is {row[name]!r}, but Wilson's interval of "
                                 f"{k}/{n} gives {value:.4f}")
    return {**row, key: rate, key + "_lo": lo, key + "_hi": hi}


def _read(folder: Path, name: str, columns: list[str]) -> list[dict]:
    contents = read_csv(folder / name, columns)
    if contents.damaged:
        raise RecordMismatch(f"{folder.name}/{contents.describe_dropped()}")
    return contents.rows


def exact_summary(folder: Path) -> list[dict]:
    """summary.csv with every rate and interval recomputed from its counts."""
    out = []
    for row in _read(folder, "summary.csv", SUMMARY_COLUMNS):
        where = _where(folder.name, "summary.csv", row)
        images = int(row["images"])
        for key in ("top1_error_truth", "top5_error_truth"):
            row = exact_rate(row, key, int(row[key + "_n"]), where)
        for key in ("top1_error_clean", "top5_error_clean"):
            row = exact_rate(row, key, images, where)
        out.append(row)
    return out


def exact_extras(folder: Path) -> Extras:
    """transfer_summary.csv and destroy_summary.csv, their rates recomputed from their counts."""
    extras = read_extras(folder)
    if extras.notes:
        raise RecordMismatch(f"{folder.name}: " + "; ".join(extras.notes))
    transfer = []
    for row in extras.transfer:
        where = _where(folder.name, "transfer_summary.csv", row)
        for key in ("top1_error_truth", "top5_error_truth"):
            row = exact_rate(row, key, int(row[key + "_n"]), where)
        transfer.append(exact_rate(row, "top1_changed", int(row["images"]), where))
    destroy = []
    for row in extras.destroy:
        where = _where(folder.name, "destroy_summary.csv", row)
        row = exact_rate(row, "destruction_rate", int(row["counted"]), where,
                         k=int(row["destroyed"]))
        numerator(row["clean_t_accuracy"], int(row["images"]), where + " clean_t_accuracy")
        destroy.append(row)
    return Extras(transfer, destroy)


def exact_fragility(folder: Path) -> tuple[list[dict], list[dict]]:
    """(fragility.csv rows with exact flip rates, fragility_correlation.csv rows); empty when
    the study wrote none."""
    if not (folder / "fragility_correlation.csv").is_file():
        return [], []
    bins = []
    if (folder / "fragility.csv").is_file():
        for row in _read(folder, "fragility.csv", FRAGILITY_COLUMNS):
            where = _where(folder.name, "fragility.csv", row)
            bins.append(exact_rate(row, "flip_rate", int(row["images"]), where,
                                   k=int(row["flipped"])))
    return bins, fragility_ties.with_ties(
        folder, _read(folder, "fragility_correlation.csv", CORRELATION_COLUMNS))


def tier_sums(summary: list[dict]) -> list[str]:
    """Where a row 'all' is not the sum of its tiers' rows (images and counts): a note each."""
    notes = []
    for r in (r for r in summary if r["tier"] == "all"):
        parts = [p for p in summary if p["tier"] != "all" and
                 (p["method"], p["target"], p["eps"]) == (r["method"], r["target"], r["eps"])]
        for what, count in (("images", lambda x: int(x["images"])),
                            ("top-1 n (vs truth)", lambda x: int(x["top1_error_truth_n"]))):
            if sum(map(count, parts)) != count(r):
                notes.append(f"{r['method']} {r['target']} eps {r['eps']}: {what} of 'all' is "
                             f"{count(r)}, its tiers sum to {sum(map(count, parts))}")
    return notes


def flips_agree(summary: list[dict], bins: list[dict]) -> list[str]:
    """Where fragility.csv's per-tier flips are not summary.csv's top-1 changes: a note each."""
    notes = []
    for b in (b for b in bins if b["group"] == "tier"):
        row = next((r for r in summary if (r["method"], r["target"], r["eps"], r["tier"])
                    == (b["method"], b["target"], b["eps"], b["bin"])), None)
        if row is None:
            notes.append(f"fragility.csv has {b['method']} {b['target']} eps {b['eps']} tier "
                         f"{b['bin']}, summary.csv does not")
            continue
        changed = round(row["top1_error_clean"] * int(row["images"]))
        if (int(row["images"]), changed) != (int(b["images"]), int(b["flipped"])):
            notes.append(f"{b['method']} {b['target']} eps {b['eps']} {b['bin']}: summary.csv "
                         f"{changed}/{row['images']} top-1 changed, fragility.csv "
                         f"{b['flipped']}/{b['images']} flipped")
    return notes


# --- the page --------------------------------------------------------------------------------

def _listing(values) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _data_name(folder: str) -> str:
    """The data set's name from its recorded path (a folder 'images' is named by its parent)."""
    path = Path(str(folder))
    return f"{path.parent.name}/{path.name}" if path.name == "images" else path.name


def _shipped_sha256() -> dict[str, str]:
    """{sha256: model name} of the models this repository ships (models/models.json)."""
    path = ROOT / "models" / "models.json"
    if not path.is_file():
        return {}
    shipped = {}
    for model in json.loads(path.read_text(encoding="utf-8")).get("models", []):
        for file, sha in model.get("sha256", {}).items():
            if file.endswith(".onnx"):
                shipped[sha] = model.get("name", file)
    return shipped


def _header(folder: Path, manifest: dict, summary: list[dict]) -> list[str]:
    model = manifest.get("model", {})
    config = manifest.get("config", {})
    sha = model.get("sha256", "")
    shipped = _shipped_sha256()
    if sha in shipped:
        which = f"the shipped `{shipped[sha]}` (models/models.json)"
    else:
        which = ("**not** a model this repository ships: its hash is in no entry of "
                 "models/models.json")
    definition = {}
    if (folder / "study.json").is_file():
        definition = json.loads((folder / "study.json").read_text(encoding="utf-8"))
    defined_sha = definition.get("definition", {}).get("model_sha256")
    methods = sorted({r["method"] for r in summary}, key=method_order)
    targets = sorted({r["target"] for r in summary})
    eps = sorted({r["eps"] for r in summary}, key=float)
    per_tier = config.get("per_tier")
    tier_images = {}
    for r in summary:
        tier_images.setdefault(r["tier"], set()).add(int(r["images"]))
    sizes = ", ".join(f"{t} {'/'.join(map(str, sorted(tier_images[t])))}"
                      for t in TIERS + ["all"] if t in tier_images)
    thresholds = manifest.get("tier_thresholds_used") or config.get("thresholds") or {}
    truth = uses_truth(summary)
    lines = [
        f"<!-- Generated by scripts/render_results.py from docs/{folder.name}/; do not edit. "
        "Run `python scripts/render_results.py`; tests/docs/test_results_render.py "
        "re-renders and compares. -->",
        "",
        f"# Results: {folder.name}",
        "",
        f"Rendered from the study folder [`docs/{folder.name}/`](../{folder.name}/RECORD.md) (its "
        "summary CSVs and manifest.json); every rate and interval below is recomputed from the "
        "integer counts those CSVs hold.",
        "",
        f"- **Model**: `{model.get('name', '?')}`, sha256 `{sha}`: {which}."
        + (f" study.json defines the study with sha256 `{defined_sha}`, which differs."
           if defined_sha and defined_sha != sha else ""),
        f"- **Data**: the images of `{_data_name(config.get('folder', '?'))}` (recorded path "
        f"`{config.get('folder', '?')}`); "
        + (("true labels from " + (f"`{Path(str(config['labels_csv'])).name}`"
                                   if config.get("labels_csv") else "the image folder (no labels "
                                   "CSV named)") + "; error rates are counted against them.")
           if truth else "no true labels: error rates count how often the top-1 changed from "
           "the clean prediction."),
        f"- **Attacks**: methods {_listing(methods)}; targets {_listing(targets)}; eps "
        f"{_listing(eps)} (8-bit levels, of 255); seed `{config.get('seed', '?')}`; per tier "
        + (f"`{per_tier}` images" if per_tier else "every image (no cap)")
        + (f"; tiers by clean confidence: high ≥ {thresholds['high_min']}, medium ≥ "
           f"{thresholds['medium_min']}, low below" if thresholds else "") + ".",
    ]
    attacks = manifest.get("attacks") or []
    if attacks:
        steps = "; ".join(f"{a['method']} eps {a['eps']:g}"
                          + (f" alpha {a['alpha']:g}" if a.get("alpha") is not None else "")
                          + f" steps {a['steps']}" for a in attacks)
        lines.append(f"- **Steps of the last run**: {steps}.")
    runs = manifest.get("runs", 1)
    lines.append(f"- **Record**: {runs} run{'s' if runs != 1 else ''}, "
                 f"{manifest.get('rows', '?')} attack rows, started "
                 f"{manifest.get('first_started', manifest.get('started', '?'))}, finished "
                 f"{manifest.get('finished', '?')}"
                 + (" (cancelled)" if manifest.get("cancelled") else "")
                 + (f"; the manifest's config is its last run's (methods "
                    f"{_listing(config.get('methods', []))}, eps "
                    f"{_listing(f'{e:g}' for e in config.get('eps', []))}); the tables hold "
                    "every run's rows" if runs != 1 else "") + ".")
    lines.append(f"- **Images attacked per tier** (the `images` column): {sizes}.")
    lines.append(f"- **What the folder's files are** (which runs, which measure): "
                 f"[`{folder.name}/RECORD.md`](../{folder.name}/RECORD.md).")
    example = next((r for r in summary if r["tier"] == "high" and truth), None)
    lines += [
        "",
        "**Denominators.** Each cell's `n=` is the denominator of that rate, not the size of "
        "the tier (the `images` column). "
        + ("Top-1 error vs truth counts only the images the model got right when clean, "
           "top-5 error those whose true label was in the clean top-5"
           + (f" (e.g. high, {example['method']} {example['target']} eps {example['eps']}: "
              f"{example['images']} images, top-1 n={example['top1_error_truth_n']}, top-5 "
              f"n={example['top5_error_truth_n']})" if example else "") + ". "
           if truth else "Without true labels every attacked image counts. ")
        + "Intervals are Wilson's 95 % score intervals of the exact fractions; a cell is `—` "
        "where its denominator is 0.",
    ]
    return lines


def _fragility_section(bins: list[dict], correlations: list[dict]) -> list[str]:
    lines = ["", "## Confidence against eps-to-flip (fragility_correlation.csv, fragility.csv)", "",
             "Spearman's ρ of clean top-1 confidence with eps-to-flip (95 % bootstrap interval, "
             "as the study computed it) and the median eps-to-flip per tier, in 8-bit levels; "
             "then the share of each tier the attack flipped (its top-1 changed), with Wilson "
             "intervals from the counts in fragility.csv.", ""]
    by_tier = {(b["method"], b["target"], b["eps"], b["bin"]): b
               for b in bins if b["group"] == "tier"}
    head = ["method", "target", "eps", "images", "ρ [95 %]", "median high", "median medium",
            "median low"] + [f"flipped {t}" for t in TIERS] + ["measure"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    measures = {}
    older = []
    for r in sorted(correlations, key=lambda r: (float(r["eps"]), r["target"],
                                                 method_order(r["method"]))):
        measure = r.get("measure") or (MEASURES["fast_grid"] if r["method"] == "fast"
                                       else MEASURES["stepped"])
        if not r.get("measure"):
            older.append(r)
        label = measures.setdefault(measure, f"({len(measures) + 1})")
        rho = (f"{float(r['spearman']):+.3f} [{float(r['spearman_lo']):+.3f}, "
               f"{float(r['spearman_hi']):+.3f}]" if r["spearman"] != "nan" else "n/a")
        flips = []
        for t in TIERS:
            b = by_tier.get((r["method"], r["target"], r["eps"], t))
            flips.append(format_rate(b, "flip_rate").replace("n=", f"{b['flipped']}/")
                         if b else "")
        cells = [r["method"], r["target"], r["eps"], r["images"], rho,
                 r["median_eps_to_flip_high"] or "—", r["median_eps_to_flip_medium"] or "—",
                 r["median_eps_to_flip_low"] or "—"] + flips + [label]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    lines.append("")
    lines += [f"- Measure {label}: {text}." for text, label in measures.items()]
    if older:
        lines.append("- These rows were written by a release before the exact search: the "
                     "fast eps-to-flip is the first flipping level of its 17-level grid, "
                     "rounded up above 8 (docs/measures.md), and non-monotone flips were "
                     "not counted.")
    counted = [r for r in correlations if r.get("flipped_below_not_at_eps") not in (None, "")]
    for r in counted:
        below, larger = int(r["flipped_below_not_at_eps"]), int(r["flipped_not_at_larger_eps"])
        if below or larger:
            lines.append(f"- {r['method']} {r['target']} eps {r['eps']}: {below} images flipped "
                         f"at a smaller eps but not at {r['eps']}; {larger} flipped at "
                         f"{r['eps']} but not at a larger eps of the study.")
    for r in correlations:
        ties = ties_note(r)
        if ties:
            lines.append(f"- {r['method']} {r['target']} eps {r['eps']}, ρ: {ties}.")
    return lines


def render(folder: Path) -> str:
    """The Markdown page of one study folder."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    summary = exact_summary(folder)
    lines = _header(folder, manifest, summary)
    bins, correlations = exact_fragility(folder)
    notes = tier_sums(summary) + flips_agree(summary, bins)
    if notes:
        lines += ["", "**The record disagrees with itself**: " + "; ".join(notes) + "."]
    truth = uses_truth(summary)
    lines += ["", "## Error rates (summary.csv)", "",
              "Top-1 and top-5 error " + ("vs truth" if truth else "vs the clean prediction")
              + " of the 8-bit adversarial images, per eps, tier and method, one column pair "
              "per target: rate % [Wilson 95 %] n=denominator.", "", format_markdown(summary)]
    extras = exact_extras(folder)
    if extras.transfer or extras.destroy:
        _, _, rows = beside_rows(summary, extras)
        lines += ["", "## Transfer and destruction (transfer_summary.csv, destroy_summary.csv)",
                  "", beside_heading(truth), "", format_beside_markdown(rows)]
    if correlations:
        lines += _fragility_section(bins, correlations)
    figures = sorted(p.name for p in folder.glob("*.png"))
    if figures:
        lines += ["", "## Figures", ""]
        for name in figures:
            caption = FIGURES.get(name, name)
            lines += [f"{caption} (`{name}`):", "", f"![{caption}](../{folder.name}/{name})", ""]
        lines.pop()
    return "\n".join(lines) + "\n"


def target_of(docs: Path, name: str) -> Path:
    return docs / RESULTS / f"{name}.md"


def _outputs(docs: Path, folders) -> list[tuple[Path, callable]]:
    """(file, its renderer) for each results page and each folder's RECORD.md."""
    out = []
    for name in folders:
        out.append((target_of(docs, name), lambda name=name: render(docs / name)))
        out.append((record_notes.note_path(docs / name),
                    lambda name=name: record_notes.render_note(docs / name)))
    return out


def drifted(docs: Path = DOCS, folders=FOLDERS) -> list[str]:
    """The pages under docs/results/ and the folders' RECORD.md whose committed text is not what
    their folder renders."""
    return [str(path.relative_to(docs.parent)) for path, make in _outputs(docs, folders)
            if not path.is_file() or path.read_text(encoding="utf-8") != make()]


def write_all(docs: Path = DOCS, folders=FOLDERS) -> list[Path]:
    written = []
    (docs / RESULTS).mkdir(exist_ok=True)
    for path, make in _outputs(docs, folders):
        path.write_text(make(), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="re-render in memory and compare with the committed pages")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = drifted()
            for path in stale:
                print(f"render_results: {path} differs from what its study folder renders; run "
                      "python scripts/render_results.py", file=sys.stderr)
            return 1 if stale else 0
        for path in write_all():
            print(path.relative_to(ROOT))
    except RecordMismatch as exc:
        print(f"render_results: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
