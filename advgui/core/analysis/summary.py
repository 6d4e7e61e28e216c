"""Per-image error flags and the per-tier summary in the seed's layout.

Denominators, as in the seed: top-1 error (vs truth) counts images whose clean top-1 was the
true label; top-5 error (vs truth) counts images whose true label was in the clean top-5. The
"vs clean" rates count every attacked image: top-1 changed, or the clean top-1 left the top-5.
All rates use the 8-bit rounded adversarial image.
"""

from __future__ import annotations

import math

import numpy as np

from advgui.core.attacks import AttackResult, Target
from advgui.core.model.classifier import Classifier
from advgui.core.records.row_log import wilson
from advgui.core.tiers import Tier

IMAGE_COLUMNS = [
    "file", "truth", "truth_name", "tier", "clean_top1", "clean_top1_name", "clean_top1_probability",
    "clean_top5", "method", "target", "target_class", "target_name", "eps", "eps_unit", "alpha",
    "steps", "adv_top1", "adv_top1_name", "adv_top1_probability", "adv_top5",
    "adv_float_top1", "adv_float_top1_probability", "truth_in_clean_top5",
    "top1_error_truth", "top5_error_truth", "top1_error_clean", "top5_error_clean",
    "first_flip_step", "eps_to_flip", "linf", "l2", "psnr", "adversarial_png", "status", "error",
    "study_id",
]
SUMMARY_COLUMNS = [
    "tier", "method", "target", "eps", "images",
    "top1_error_truth_n", "top1_error_truth", "top1_error_truth_lo", "top1_error_truth_hi",
    "top5_error_truth_n", "top5_error_truth", "top5_error_truth_lo", "top5_error_truth_hi",
    "top1_error_clean", "top1_error_clean_lo", "top1_error_clean_hi",
    "top5_error_clean", "top5_error_clean_lo", "top5_error_clean_hi",
]


def _top5(probs: np.ndarray) -> list[int]:
    return [int(i) for i in np.argsort(-probs)[:5]]


def _fmt_top5(probs: np.ndarray) -> str:
    return ";".join(f"{i}:{probs[i]:.4f}" for i in _top5(probs))


def norms(clean: np.ndarray, adv: np.ndarray) -> tuple[int, float, float]:
    """L-inf and L2 in pixel levels and PSNR in dB of two uint8 images."""
    d = adv.astype(np.float64) - clean.astype(np.float64)
    linf = int(np.abs(d).max())
    l2 = float(np.sqrt((d * d).sum()))
    mse = float((d * d).mean())
    psnr = float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
    return linf, l2, psnr


def image_row(classifier: Classifier, clean_row: dict, method: str, target: Target, eps: float,
              attack, result: AttackResult, j: int, pixels: np.ndarray, png: str,
              eps_to_flip: float | None = None) -> dict:
    names = classifier.classes.names
    clean, adv = result.clean_probabilities[j], result.pixel_probabilities[j]
    truth = int(clean_row["truth"])
    c5, a5 = _top5(clean), _top5(adv)
    linf, l2, psnr = norms(pixels, result.pixels[j])
    known = truth >= 0
    std = classifier.preprocessing.std
    return {
        "file": clean_row["file"], "truth": truth, "truth_name": names[truth] if known else "",
        "tier": clean_row["tier"], "clean_top1": c5[0], "clean_top1_name": names[c5[0]],
        "clean_top1_probability": f"{clean[c5[0]]:.6f}", "clean_top5": _fmt_top5(clean),
        "method": method, "target": str(target), "target_class": int(result.target[j]),
        "target_name": names[int(result.target[j])], "eps": f"{eps:g}",
        "eps_unit": f"{eps / 255:.6g} [0,1]; {eps / std[0]:.6g} model units",
        "alpha": f"{attack.step_size:g}", "steps": result.steps_taken,
        "adv_top1": a5[0], "adv_top1_name": names[a5[0]], "adv_top1_probability": f"{adv[a5[0]]:.6f}",
        "adv_top5": _fmt_top5(adv),
        "adv_float_top1": int(result.adversarial_probabilities[j].argmax()),
        "adv_float_top1_probability": f"{result.adversarial_probabilities[j].max():.6f}",
        "truth_in_clean_top5": int(truth in c5) if known else "",
        "top1_error_truth": int(a5[0] != truth) if known else "",
        "top5_error_truth": int(truth not in a5) if known else "",
        "top1_error_clean": int(a5[0] != c5[0]), "top5_error_clean": int(c5[0] not in a5),
        "first_flip_step": int(result.first_flip_step[j]),
        "eps_to_flip": "" if eps_to_flip is None else f"{eps_to_flip:.4g}",
        "linf": linf, "l2": f"{l2:.2f}",
        "psnr": f"{psnr:.2f}", "adversarial_png": png,
        "status": "error" if result.problems[j] else "ok", "error": result.problems[j],
    }


def _rate(flags: list[int]) -> tuple[int, float, float, float]:
    n, k = len(flags), sum(flags)
    lo, hi = wilson(k, n)
    return n, (k / n if n else float("nan")), lo, hi


def summary_rows(rows: list[dict]) -> list[dict]:
    keys = sorted({(r["method"], r["target"], float(r["eps"])) for r in rows})
    out = []
    for method, target, eps in keys:
        for tier in [t.value for t in Tier] + ["all"]:
            sel = [r for r in rows if r["method"] == method and r["target"] == target
                   and float(r["eps"]) == eps and r["status"] == "ok"
                   and (tier == "all" or r["tier"] == tier)]
            if not sel:
                continue
            t1 = [int(r["top1_error_truth"]) for r in sel
                  if r["top1_error_truth"] != "" and int(r["clean_top1"]) == int(r["truth"])]
            t5 = [int(r["top5_error_truth"]) for r in sel
                  if r["top5_error_truth"] != "" and r["truth_in_clean_top5"] == "1"]
            c1 = [int(r["top1_error_clean"]) for r in sel]
            c5 = [int(r["top5_error_clean"]) for r in sel]
            row = {"tier": tier, "method": method, "target": target, "eps": f"{eps:g}",
                   "images": len(sel)}
            for name, flags in (("top1_error_truth", t1), ("top5_error_truth", t5),
                                ("top1_error_clean", c1), ("top5_error_clean", c5)):
                n, p, lo, hi = _rate(flags)
                if name.endswith("truth"):
                    row[name + "_n"] = n
                row.update({name: f"{p:.4f}", name + "_lo": f"{lo:.4f}", name + "_hi": f"{hi:.4f}"})
            out.append(row)
    return out


def _pct(row: dict, key: str) -> str:
    value = float(row[key])
    if math.isnan(value):
        return "   n/a"
    return f"{100 * value:5.1f}%"


METHOD_ORDER = ("iterative", "fast", "pgd", "momentum")  # the seed's two first


def _method_order(method: str) -> tuple[int, str]:
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


def format_summary(summary: list[dict]) -> str:
    """The seed's table: per target and eps, rows = tiers, columns = method x (top-5, top-1)."""
    lines = []
    groups = sorted({(r["target"], r["eps"]) for r in summary})
    for target, eps in groups:
        methods = sorted({r["method"] for r in summary if r["target"] == target and r["eps"] == eps},
                         key=_method_order)  # iterative first, as in the seed
        use_truth = any(r["top1_error_truth_n"] for r in summary if r["target"] == target)
        kind = "vs truth" if use_truth else "vs clean prediction"
        lines.append(f"\nTarget {target}, eps {eps}/255 (error rates {kind}, 8-bit images)")
        head = f"{'tier':<8}{'n':>6}"
        for m in methods:
            head += f"  {m + ' top-5':>16}  {m + ' top-1':>16}"
        lines.append(head)
        for tier in [t.value for t in Tier] + ["all"]:
            line = None
            for m in methods:
                row = next((r for r in summary if (r["target"], r["eps"], r["method"], r["tier"])
                            == (target, eps, m, tier)), None)
                if row is None:
                    continue
                if line is None:
                    line = f"{tier:<8}{row['images']:>6}"
                k5 = "top5_error_truth" if use_truth else "top5_error_clean"
                k1 = "top1_error_truth" if use_truth else "top1_error_clean"
                line += f"  {_pct(row, k5):>8} ±{_half(row, k5):4.1f}   {_pct(row, k1):>8} ±{_half(row, k1):4.1f}"
            if line:
                lines.append(line)
    return "\n".join(lines)


def _half(row: dict, key: str) -> float:
    lo, hi = float(row[key + "_lo"]), float(row[key + "_hi"])
    return 0.0 if math.isnan(lo) else 50 * (hi - lo)


def uses_truth(summary: list[dict]) -> bool:
    """Whether any summary row was scored against true labels (else: against the clean top-1)."""
    return any(int(float(r["top1_error_truth_n"] or 0)) for r in summary)


def format_markdown(summary: list[dict]) -> str:
    """The seed's layout as a Markdown table: rows tier x method, columns target x top-5/top-1."""
    use_truth = uses_truth(summary)
    k1 = "top1_error_truth" if use_truth else "top1_error_clean"
    k5 = "top5_error_truth" if use_truth else "top5_error_clean"
    targets = sorted({r["target"] for r in summary})
    head = "| eps | tier | method | images | " + " | ".join(
        f"{t} top-5 | {t} top-1" for t in targets) + " |"
    lines = [head, "|" + "---|" * (4 + 2 * len(targets))]
    order = [t.value for t in Tier] + ["all"]
    keys = sorted({(r["eps"], r["tier"], r["method"]) for r in summary},
                  key=lambda k: (float(k[0]), order.index(k[1]), _method_order(k[2])))
    for eps, tier, method in keys:
        cells = []
        images = 0
        for t in targets:
            row = next((r for r in summary if (r["eps"], r["tier"], r["method"], r["target"])
                        == (eps, tier, method, t)), None)
            if row is None:
                cells += ["", ""]
                continue
            images = max(images, int(row["images"]))
            cells += [format_rate(row, k5), format_rate(row, k1)]
        lines.append(f"| {eps} | {tier} | {method} | {images} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_rate(row: dict, key: str, missing: str = "—") -> str:
    """'41.2 % [34.1, 48.7] n=120': a summary rate with its interval and its own denominator."""
    p = float(row[key])
    if math.isnan(p):
        return missing
    n = row.get(key + "_n", row["images"])
    return (f"{100 * p:.1f} % [{100 * float(row[key + '_lo']):.1f}, "
            f"{100 * float(row[key + '_hi']):.1f}] n={n}")


# -- reading rows back -------------------------------------------------------------------------
_INT_COLUMNS = ("truth", "clean_top1", "target_class", "adv_top1", "steps", "first_flip_step", "linf")
_FLOAT_COLUMNS = ("clean_top1_probability", "adv_top1_probability", "l2", "eps_to_flip")
_FLAG_COLUMNS = ("top1_error_clean", "top5_error_clean")
_TRUTH_FLAGS = ("truth_in_clean_top5", "top1_error_truth", "top5_error_truth")
TIERS = {t.value for t in Tier}


def eps_key(value: float | str) -> float:
    """eps as the reports print it (6 significant digits): 8, 8.0 and 8.0000001 are one eps."""
    return float(f"{float(value):g}")


def image_key(row: dict) -> tuple:
    return row["file"], row["method"], row["target"], eps_key(row["eps"])


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
        if name == "eps_to_flip" and row.get(name, "") == "":
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
        if len(_top5_classes(row[name])) != 5:
            return f"{name} {row[name][:40]!r} does not list five classes"
    return None


def _top5_classes(text: str) -> list[int]:
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
    c5, a5 = _top5_classes(row["clean_top5"]), _top5_classes(row["adv_top5"])
    known = truth >= 0
    out.update(truth_in_clean_top5=str(int(truth in c5)) if known else "",
               top1_error_truth=str(int(a5[0] != truth)) if known else "",
               top5_error_truth=str(int(truth not in a5)) if known else "")
    return out
