"""docs/results.md: its tables are generated blocks that match their records, and every number its
hand-written readings quote is computed here from the committed study folders.

`quotes()` builds each quoted phrase from the records (scripts/results_record.py); a phrase the
page does not contain word for word fails. A number in the prose that no quote, no citation of a
paper and no parameter listed below covers fails too, so a new hand-typed figure cannot slip in
unchecked. `claims()` holds the readings that are orderings, not numbers."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import render_blocks  # noqa: E402
import results_record as R  # noqa: E402

from tests.docs.prose_numbers import flat, unchecked  # noqa: E402

PAGE = ROOT / "docs" / "results.md"
VAL, INC, EFF = render_blocks.VAL, render_blocks.INCEPTION, render_blocks.EFFICIENTNET
SQ = render_blocks.SQUARE
FAMILY = (INC, EFF)
METHODS = ("fast", "iterative", "pgd", "momentum")
TARGETS = ("inverse", "least-likely")

# Figures from papers (the seed's tables in ../shared/seed/, Dong et al. 2018, Kurakin et al.
# 2016): cited, not measured here, so no record of ours can check them.
CITED = ["the seed's 75–83 %", "against the seed's 12 %", "against 48 %",
         "Dong et al. report about 72 % for FGSM on Inc-v3 at ε 16",
         "Inc-v3 → Inc-v4, about 28 / 23 / 49 %", "Dong et al. (2018)", "Kurakin et al. 2016",
         "Figure 2", "arXiv 2102.10343", "every ε they showed below about 48",
         "its own 1,500 images",
         # Andriushchenko et al. 2020 (Square Attack), Table 2: untargeted L∞ on ImageNet.
         "Andriushchenko et al. 2020, Table 2", "eps = 0.05 (12.75 levels), a budget of 10,000 "
         "queries, failure rate 0.0 % and 197 queries"]
# Parameters and settings, not results: the attacks' defaults, the commands, the hardware.
SETTINGS = ["α 1, min(ε+4, 1.25ε) steps", "α 2, 10 steps", "μ 1.0, 10 steps of ε/10",
            "17-level grid (1–8, 10, 12, 14, 16, 20, 24, 32, 48, 64)", "above 8", "at most 8",
            "2-core CPU", "ε 1,\n2, 4, 8, 16 and 32", "at 4, 8, 16 and 32", "(α 2, 10 steps)",
            "for ε 8", "seed 0", "8-bit", "95 %", "2 directions × 2 targets × 2 ε",
            "ε 8 and 16", "ε 8 and\n  16", "at ε 8", "at ε 16", "at eps 8", "ε 1–32", "ε 1.",
            "at ε 4", "ε 1", "eps 8", "eps 16", "ε 32", "8 cells", "eps 6 and not at 8",
            "flip at 6 and not at 8", "JPEG-75", "jpeg:75", "one-level", "8fe91e5",
            "1 level to 6", "from ε 4", "From ε 4 to 32", "(untargeted, ε 16)",
            "Doubling ε to 16", "intervals far\nfrom 0"]


WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def pct(c: R.Count, digits: int = 0) -> str:
    return c.pct(digits)


def span(values, digits: int = 0) -> str:
    lo, hi = min(values), max(values)
    return f"{100 * lo:.{digits}f}–{100 * hi:.{digits}f}"


def quotes() -> list[str]:
    clean, top5 = R.clean(VAL), R.clean_top5(VAL)
    tiers = clean["tiers"]
    cal = json.loads((ROOT / "models" / "calibration.json").read_text(encoding="utf-8"))
    m = R.manifest(VAL)
    images = R.rows(VAL, "images")
    errors = sum(r["status"] != "ok" for r in images)
    e = lambda f, method, target, eps, top=1, tier="all": R.error(f, tier, method, target, eps, top)
    t, d = R.transfer, R.destroyed
    dec = lambda method, target, b: R.decile(VAL, method, target, 8, b)
    rhos = [R.spearman(VAL, mm, tt, 8)[0] for mm in ("fast", "iterative") for tt in TARGETS]
    it_rho = [R.spearman(VAL, "iterative", tt, 8)[0] for tt in TARGETS]
    wb_iter = [e(f, mm, tt, eps).rate for f in FAMILY for mm in METHODS[1:] for tt in TARGETS
               for eps in (8, 16)]
    fast_wb = {f: [e(f, "fast", tt, eps).rate for tt in TARGETS for eps in (8, 16)]
               for f in FAMILY}
    transfer_all = [t(f, mm, tt, eps).rate for f in FAMILY for mm in METHODS for tt in TARGETS
                    for eps in (8, 16)]
    ll_transfer = [t(f, mm, "least-likely", eps).rate for f in FAMILY for mm in METHODS
                   for eps in (8, 16)]
    fast_ll_d = [d(f, "fast", "least-likely", eps).rate for f in FAMILY for eps in (8, 16)]
    mom_d8 = [d(f, "momentum", "least-likely", 8).rate for f in FAMILY]
    inv_d = [d(f, mm, "inverse", eps).rate for f in FAMILY for mm in METHODS for eps in (8, 16)]
    ll_worse = sum(t(f, mm, "least-likely", eps).rate < t(f, mm, "inverse", eps).rate
                   for f in FAMILY for mm in METHODS for eps in (8, 16))
    cell_sizes = [t(f, mm, tt, eps).n for f in FAMILY for mm in METHODS for tt in TARGETS
                  for eps in (8, 16)]
    halves = [(hi - lo) / 2 for f in FAMILY for mm in METHODS for tt in TARGETS
              for eps in (8, 16) for lo, hi in [t(f, mm, tt, eps).interval]]
    fast_top1 = [e(INC, "fast", tt, eps).rate for tt in TARGETS for eps in (1, 2, 4, 8, 16, 32)]
    fast5 = lambda eps: [e(INC, "fast", tt, eps, 5).rate for tt in TARGETS]
    iter5 = [e(INC, "iterative", tt, eps, 5).rate for tt in TARGETS for eps in (8, 16, 32)]
    late = [e(INC, mm, tt, eps).rate for mm in ("pgd", "momentum") for tt in TARGETS
            for eps in (4, 8, 16, 32)]
    up, down = R.paired_whitebox(INC, "fast", "inverse", 4, 16)
    pgd_a, pgd_b = R.paired_transfer("pgd", "iterative")
    sec = {f: R.manifest(f)["seconds_all_runs"] for f in FAMILY}
    eff_ll = [e(EFF, "fast", "least-likely", eps) for eps in (1, 32)]
    pilot = R.images("pilot-nips17-family", "all")
    return [
        f"The {clean['images']} photos of", f"(the other\n{cal['fitting_images']} fitted it)",
        f"{m['rows']:,} rows, {errors} errors", f"{m['seconds'] / 60:.0f} minutes on the",
        f"`seconds` {m['seconds']:,.0f} in its manifest",
        f"Clean: top-1 {pct(clean['top1'], 1)} %, top-5 {pct(top5, 1)} %; tiers "
        f"{tiers['high']} / {tiers['medium']} / {tiers['low']}.",
        f"top-1: the {clean['top1'].k}\nimages whose clean top-1 was right; top-5: the {top5.k}",
        f"from {span([dec('fast', tt, 1)[0].rate for tt in TARGETS])} % in the least confident "
        f"tenth to {span([dec('fast', tt, 10)[0].rate for tt in TARGETS])} % in the most confident",
        f"ρ ≈ +{min(rhos):.1f} for every attack" if round(min(rhos), 1) == round(max(rhos), 1)
        else "ρ differs between attacks",
        f"flips {pct(dec('fast', 'least-likely', 10)[0])} % at eps 8 while\nthe median "
        f"eps-to-flip is {dec('fast', 'least-likely', 10)[1]}",
        f"(ρ +{min(it_rho):.2f} to +{max(it_rho):.2f})",
        "by decile of\nclean confidence, {}–{} photos each".format(
            *(lambda n: (min(n), max(n)))([dec("fast", "inverse", b)[0].n for b in range(1, 11)])),
        f"{100 * tiers['high'] / clean['images']:.0f} % of these photos are \"high\"",
        f"rest on {tiers['medium']} and {tiers['low']} photos",
        f"none of the {tiers['low']} low ones",
        f"high tier top-1: {span([e(VAL, 'iterative', tt, 8, 1, 'high').rate for tt in TARGETS], 1)} %",
        f"least likely {pct(e(VAL, 'fast', 'least-likely', 8, 5, 'high'), 1)} %",
        f"inverse {pct(e(VAL, 'fast', 'inverse', 8, 5, 'high'), 1)} %",
        f"eps 16 on all {clean['images']} photos was not run; on a {R.images(INC, 'all')}-photo",
        f"the {clean['images']} the calibration did not see",
        f"InceptionV3 has {R.images(INC, 'high')} high, all {R.images(INC, 'medium')} medium and "
        f"all {R.images(INC, 'low')} low\nphotos ({R.images(INC, 'all')}); EfficientNet-Lite0 has "
        f"{R.images(EFF, 'high')} high, {R.images(EFF, 'medium')} medium and "
        f"{R.images(EFF, 'low')} low ({R.images(EFF, 'all')})",
        f"which is {100 * tiers['high'] / clean['images']:.0f} % high for InceptionV3",
        f"The {R.images(INC, 'all') * 2 * 2} fast and iterative rows at ε 8",
        f"on {span(wb_iter)} % of images", f"The fast method fools {span(fast_wb[INC])} % "
        f"(InceptionV3) and {span(fast_wb[EFF])} % (EfficientNet-Lite0)",
        f"fast inverse at ε 16 scores {e(INC, 'fast', 'inverse', 16).cell()} %",
        f"far lower than white-box: {span(transfer_all)} %",
        "{} images fooled only by momentum, {} only by iterative".format(
            *R.paired_transfer("momentum", "iterative")),
        "fast above iterative: {} against {}".format(*R.paired_transfer("fast", "iterative")),
        "a draw ({} against {})".format(*R.paired_transfer("momentum", "fast")),
        f"({pgd_a} against {pgd_b}, exact sign test p {R.exact_sign_p(pgd_a, pgd_b):.2f})",
        *[f"{'InceptionV3 → EfficientNet' if f == INC else 'EfficientNet → InceptionV3'}: fast "
          f"{pct(t(f, 'fast', 'inverse', 16))} %, iterative {pct(t(f, 'iterative', 'inverse', 16))}"
          f" %, momentum {pct(t(f, 'momentum', 'inverse', 16))} %" for f in FAMILY],
        f"in {ll_worse}"
        f" of the 16 cells\n  above ({span(ll_transfer)} %)",
        f"{pct(t(INC, 'momentum', 'least-likely', 16))} % least likely against\n  "
        f"{pct(t(INC, 'momentum', 'inverse', 16))} % inverse",
        f"d = {d(INC, 'iterative', 'least-likely', 8).cell()} % on InceptionV3\n  and "
        f"{d(EFF, 'iterative', 'least-likely', 8).cell()} % on EfficientNet-Lite0",
        f"PGD close behind ({pct(d(INC, 'pgd', 'least-likely', 8))} %, "
        f"{pct(d(EFF, 'pgd', 'least-likely', 8))} %)",
        f"d = {span(fast_ll_d)} % at ε 8 and 16", f"them ({span(mom_d8)} % at ε 8)",
        f"(d ≤ {100 * max(inv_d):.0f} %)",
        *[f"{pct(c)} % ({c.k}/{c.n})" for f in FAMILY for c in [d(f, 'fast', 'inverse', 1)]
          if c == d(f, "iterative", "inverse", 1)],
        f"(iterative {pct(d(INC, 'iterative', 'least-likely', 8))} → "
        f"{pct(d(INC, 'iterative', 'least-likely', 16))} % on InceptionV3, "
        f"{pct(d(EFF, 'iterative', 'least-likely', 8))} → "
        f"{pct(d(EFF, 'iterative', 'least-likely', 16))} % on EfficientNet-Lite0)",
        *[f"{a.k}/{a.n} → {b.k}/{b.n}, {pct(a)} → {pct(b)} %, on {name}" for f, name in
          [(INC, "InceptionV3"), (EFF, "EfficientNet-Lite0")]
          for a, b in [(d(f, "fast", "least-likely", 8), d(f, "fast", "least-likely", 16))]],
        f"There are {min(cell_sizes)}–{max(cell_sizes)} images per transfer cell, so a single "
        f"cell's interval is ±{100 * min(halves):.0f}–{100 * max(halves):.0f}\n  points",
        "Top-1 error reaches 100 % at ε {} (inverse) and ε {} (least likely)".format(
            *[min(eps for eps in (1, 2, 4, 8, 16, 32) if e(INC, "iterative", tt, eps).k ==
                  e(INC, "iterative", tt, eps).n) for tt in TARGETS]),
        f"top-5 error reaches {span(iter5)} % from ε 8", f"top-1 {span(late)} %",
        f"flat between {100 * min(fast_top1):.0f} % and {100 * max(fast_top1):.0f} % from ε 1 to 32",
        f"creeps from {span(fast5(1))} % to {100 * min(fast5(32)):.0f} %"
        if round(100 * min(fast5(32))) == round(100 * max(fast5(32))) else "top-5 differs",
        f"fools {pct(e(INC, 'fast', 'inverse', 2))} % at ε 2–4 and "
        f"{pct(e(INC, 'fast', 'inverse', 16))} % at ε 16"
        if pct(e(INC, "fast", "inverse", 2)) == pct(e(INC, "fast", "inverse", 4)) else "ε 2 ≠ 4",
        f"same {e(INC, 'fast', 'inverse', 4).n} images, {up} are fooled at ε 4 and not\n  at ε 16, "
        f"and {'none' if down == 0 else down} the other way (exact sign test p "
        f"{R.exact_sign_p(up, down):.2f})",
        f"least likely scores {pct(e(INC, 'iterative', 'least-likely', 4, 5))} % top-5 against "
        f"{pct(e(INC, 'iterative', 'inverse', 4, 5))} % for inverse",
        f"from {pct(eff_ll[0])} % to {pct(eff_ll[1])} % top-1 over ε 1–32",
        f"fast reaches {pct(t(INC, 'fast', 'inverse', 32))} % and momentum "
        f"{pct(t(INC, 'momentum', 'inverse', 32))} %",
        f"iterative reaches {pct(t(INC, 'iterative', 'inverse', 32))} % and PGD "
        f"{pct(t(INC, 'pgd', 'inverse', 32))} %",
        *[f"{name} {pct(t(INC, mm, 'inverse', 4))} → {pct(t(INC, mm, 'inverse', 32))} %"
          for name, mm in [("fast", "fast"), ("momentum", "momentum"), ("iterative", "iterative")]],
        f"PGD\n  {pct(t(INC, 'pgd', 'inverse', 4))} → {pct(t(INC, 'pgd', 'inverse', 32))} %",
        f"at most {2 * 10} levels beyond",
        f"An earlier {pilot}-photo pilot",
        f"took {(sec[INC] + sec[EFF]) / 60:.0f} minutes of attack time",
        f"{sec[INC]:,.0f} s for InceptionV3's {WORDS[R.manifest(INC)['runs']]} runs",
        f"{sec[EFF]:,.0f} s for EfficientNet-Lite0's {WORDS[R.manifest(EFF)['runs']]}",
        *square_quotes(),
    ]


def square_quotes() -> list[str]:
    """The readings of the Square Attack study (docs/square-imagenet-val-eps8/)."""
    m = R.manifest(SQ)
    budget, (eps,) = m["config"]["queries"], [int(e) for e in m["config"]["eps"]]
    thresholds = m["tier_thresholds_used"]
    steps = {a["method"]: a["steps"] for a in m["attacks"]}
    e = lambda method, tier, top=1: R.error(SQ, tier, method, "inverse", eps, top)
    of = lambda c: f"{c.k} of {c.n}"
    rows = [r for r in R.rows(SQ, "images") if r["method"] == "square" and r["status"] == "ok"]
    right = R.queries_to_flip(SQ, right_when_clean=True)
    done = [q for q in right if q != float("inf")]
    high = R.queries_to_flip(SQ, tier="high", right_when_clean=True)
    high_done = [q for q in high if q != float("inf")]
    first = {t: sum(q == 1 for q in R.queries_to_flip(SQ, tier=t)) for t in R.rr.TIERS}
    failed = [r for r in rows if r["queries_to_flip"] == "inf"]
    failure = R.Count(len(right) - len(done), len(right))
    lo, hi = failure.interval
    noise = {t: next(round(r["top1_error_clean"] * int(r["images"])) for r in R.summary(SQ)
                     if (r["method"], r["tier"]) == ("noise", t)) for t in ("high", "medium")}
    d_sq, d_it = R.destroyed(SQ, "square", "inverse", eps, "high"), \
        R.destroyed(SQ, "iterative", "inverse", eps, "high")
    psnr = {mm: R.median_psnr(SQ, mm) for mm in ("square", "fast", "iterative")}
    low = R.clean(SQ)["tiers"]["low"]
    return [
        f"{m['seconds']:,.0f} s for the attacks",
        f"fixed tiers ({100 * thresholds['high_min']:.0f} % / "
        f"{100 * thresholds['medium_min']:.0f} %)",
        f"{R.images(SQ, 'high')} high-tier, {R.images(SQ, 'medium')} medium and "
        + ("all " if R.images(SQ, "low") == low else "")
        + f"{R.images(SQ, 'low')} low-tier photos ({R.images(SQ, 'all')})",
        f"a budget of\n{budget:,} queries per image",
        f"{len(done)} of {len(right)} flipped, median {statistics.median(done):g} and mean\n"
        f"{statistics.mean(done):.1f} queries; of them the high tier, {len(high_done)} of "
        f"{len(high)}, median {statistics.median(high_done):g}, mean "
        f"{statistics.mean(high_done):.1f} (the slowest {max(high_done):g})",
        f"At query 1, the vertical stripes alone, {sum(first.values())} photos flipped "
        f"({first['high']} high, {first['medium']} medium, {first['low']} low)",
        *[f"the\n{WORDS[len(failed)]} failure is a {r['tier']}-tier photo at "
          f"{100 * float(r['clean_top1_probability']):.2f} % clean confidence, "
          + ("right" if r["clean_top1"] == r["truth"] else "wrong") + " when clean"
          for r in failed[:1]],
        f"the same ±{eps} levels with random signs, changed the top-1 of {noise['high']} of the "
        f"{R.images(SQ, 'high')} high-tier and\n{noise['medium']} of the {R.images(SQ, 'medium')}"
        " medium photos",
        f"the {steps['iterative']}-step white-box iterative attack ({of(e('square', 'high'))} vs "
        f"{of(e('iterative', 'high'))}\nhigh-tier top-1)",
        f"the one-step fast attack ({of(e('fast', 'high'))})" if steps["fast"] == 1 else "fast",
        f"({of(e('square', 'high', 5))} high)", f"({of(e('iterative', 'high', 5))})",
        f"puts {d_sq.k} of the {d_sq.n}\nhigh-tier photos it fooled back to the right class "
        f"(destruction rate {d_sq.cell(1).replace(' [', ' % [')})",
        f"against {d_it.k} of {d_it.n} for the iterative attack ({d_it.pct(1)} %)",
        f"median PSNR is the fast attack's ({psnr['square']:.1f}\ndB: every pixel moved by "
        f"±{eps}), the iterative one's {psnr['iterative']:.1f} dB"
        if f"{psnr['square']:.1f}" == f"{psnr['fast']:.1f}" else "PSNR differs",
        f"Here eps is {eps}/255 ≈ {eps / 255:.3f} (smaller), the\nbudget {budget:,} (a tenth)",
        f"the photos the {len(right)} right when\nclean: {failure.k} failure of {failure.n} "
        f"({failure.pct(1)} %, Wilson [{100 * lo:.1f}, {100 * hi:.1f}]) and "
        f"{statistics.mean(done):.1f} queries on average over the\n{len(done)} successes",
        f"({WORDS[failure.k]} needed more than {budget:,})",
        f"(its {budget:,}-query budget",
    ]


def claims() -> dict[str, bool]:
    """Readings that are orderings: each must hold in the records."""
    t, e = R.transfer, R.error
    cells = [(f, tt, eps) for f in FAMILY for tt in TARGETS for eps in (8, 16)]
    return {
        "every rho's interval excludes 0 (far from 0)":
            all(R.spearman(VAL, mm, tt, 8)[1] > 0.2 for mm in ("fast", "iterative")
                for tt in TARGETS),
        "as in the seed: iterative beats fast, and for the fast method least likely is harder "
        "than inverse (high tier, top-1 and top-5)": all(
            e(VAL, "high", "iterative", tt, 8, k).rate > e(VAL, "high", "fast", tt, 8, k).rate
            for tt in TARGETS for k in (1, 5)) and all(
            e(VAL, "high", "fast", "least-likely", 8, k).rate <
            e(VAL, "high", "fast", "inverse", 8, k).rate for k in (1, 5)),
        "momentum transfers above iterative in all 8 cells":
            all(t(f, "momentum", tt, eps).rate > t(f, "iterative", tt, eps).rate
                for f, tt, eps in cells),
        "fast transfers above iterative in all 8 cells":
            all(t(f, "fast", tt, eps).rate > t(f, "iterative", tt, eps).rate
                for f, tt, eps in cells),
        "transfer grows from eps 8 to 16 for fast and momentum":
            all(t(f, mm, tt, 16).rate > t(f, mm, tt, 8).rate for f, tt, _ in cells
                for mm in ("fast", "momentum")),
        "the iterative methods are stronger than fast in the white box at every eps":
            all(e(INC, "all", mm, tt, eps).rate > e(INC, "all", "fast", tt, eps).rate
                for mm in METHODS[1:] for tt in TARGETS for eps in (4, 8, 16, 32)),
        "median L2 at eps 8: fast > momentum > pgd > iterative":
            [R.median_l2(INC, mm, 8) for mm in ("fast", "momentum", "pgd", "iterative")] ==
            sorted((R.median_l2(INC, mm, 8) for mm in METHODS), reverse=True),
        "EfficientNet-Lite0's fast least-likely top-1 never falls over eps 1..32":
            all(e(EFF, "all", "fast", "least-likely", a).rate <=
                e(EFF, "all", "fast", "least-likely", b).rate
                for a, b in zip((1, 2, 4, 8, 16), (2, 4, 8, 16, 32))),
        "fast and iterative agree image for image at eps 1": all(
            (r["adv_top1"], r["l2"]) == (o["adv_top1"], o["l2"]) for f in FAMILY
            for r in R.rows(f, "images") if r["method"] == "fast" and r["eps"] == "1"
            for o in R.rows(f, "images") if o["method"] == "iterative" and o["eps"] == "1"
            and (o["file"], o["target"]) == (r["file"], r["target"])),
        "the family's fast and iterative rows at eps 8 equal the held-out study's": all(
            all(r[c] == o[c] for c in ("adv_top1", "adv_top1_probability", "l2", "linf", "psnr",
                                        "eps_to_flip"))
            for o in R.rows(INC, "images") if o["eps"] == "8"
            and o["method"] in ("fast", "iterative")
            for r in [_val_row(o["file"], o["method"], o["target"])]),
    }


def _val_row(file: str, method: str, target: str) -> dict:
    return next(r for r in R.rows(VAL, "images") if r["eps"] == "8" and
                (r["file"], r["method"], r["target"]) == (file, method, target))


def test_generated_blocks_match_their_records():
    assert render_blocks.drifted() == [], "run: python scripts/render_blocks.py"


def test_a_changed_block_is_caught(tmp_path):
    text = PAGE.read_text(encoding="utf-8").replace("| 4,116 |", "| 4,000 |")
    assert render_blocks.render_page(text) != text


@pytest.mark.parametrize("quote", quotes())
def test_each_quoted_number_is_what_the_record_says(quote):
    assert flat(quote) in flat(PAGE.read_text(encoding="utf-8")), \
        f"docs/results.md does not say {quote!r} (what its record gives)"


@pytest.mark.parametrize("claim", list(claims()))
def test_each_ordering_the_readings_state_holds(claim):
    assert claims()[claim], claim


def test_every_number_in_the_prose_is_checked_or_cited():
    loose = unchecked(PAGE.read_text(encoding="utf-8"), quotes() + CITED + SETTINGS)
    assert loose == [], "numbers no quote checks (add a quote computed from the record):\n" + \
        "\n".join(f"{n!r} in ...{ctx}..." for n, ctx in loose)


def test_a_hand_typed_number_is_caught():
    page = PAGE.read_text(encoding="utf-8")
    phrases = quotes() + CITED + SETTINGS
    assert [n for n, _ in unchecked(page + "\nThe fast method fools 42 % of them.\n", phrases)] \
        == ["42"]
    changed = page.replace("Clean: top-1 77.0 %", "Clean: top-1 77.1 %")
    assert changed != page and "77.1" in [n for n, _ in unchecked(changed, phrases)]
