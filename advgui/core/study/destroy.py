"""Does the adversarial survive the real world? Kurakin, Goodfellow & Bengio 2016 ("Adversarial
examples in the physical world") measured the destruction rate of a transformation T:

    d = sum C(X, y) (1 - C(X_adv, y)) C(T(X_adv), y) / sum C(X, y) (1 - C(X_adv, y))

where C(X, y) is 1 when the model classifies X as y: among the images whose clean version is
right and whose adversarial is wrong, the share that T makes right again. y is the true label
where one is known, else the model's clean top-1 (then C(X, y) is always 1). T is applied to the
saved 8-bit adversarial and to the clean crop it was made from (Pillow), and both are scored.
"""

from __future__ import annotations

import numpy as np

from advgui.core.model.classifier import Classifier
from advgui.core.model.transforms import Transform
from advgui.core.analysis.stats import wilson
from advgui.core.analysis.extras_schema import DESTROY, DESTROY_COLUMNS, DESTROY_SUMMARY_COLUMNS  # noqa: F401
from advgui.core.records.schema import eps_key
from advgui.core.tiers import Tier

SUMMARY_COLUMNS = DESTROY_SUMMARY_COLUMNS


destroy_key = DESTROY.key


def validate_destroy_row(row: dict[str, str]) -> str | None:
    try:
        int(row["adv_t_top1"]), float(row["eps"]), Transform.parse(row["transform"])
    except (KeyError, ValueError):
        return "not a destruction row"
    return None


def destroy_rows(classifier: Classifier, transform: Transform, image_rows: list[dict],
                 clean: list[np.ndarray], adversarial: list[np.ndarray]) -> list[dict]:
    if not image_rows:
        return []
    pre = classifier.preprocessing
    views = [transform.apply(p) for p in clean + adversarial]
    probs = classifier.probabilities(pre.to_model(np.stack(views)))
    top = probs.argmax(axis=1)
    out = []
    for i, r in enumerate(image_rows):
        truth = int(r["truth"])
        label = truth if truth >= 0 else int(r["clean_top1"])
        clean_t, adv_t = int(top[i]), int(top[len(image_rows) + i])
        out.append({
            "file": r["file"], "method": r["method"], "target": r["target"], "eps": r["eps"],
            "tier": r["tier"], "transform": str(transform), "label": label,
            "clean_top1": r["clean_top1"], "adv_top1": r["adv_top1"],
            "clean_t_top1": clean_t, "adv_t_top1": adv_t,
            "clean_correct": int(int(r["clean_top1"]) == label),
            "adv_wrong": int(int(r["adv_top1"]) != label),
            "clean_t_correct": int(clean_t == label), "adv_t_correct": int(adv_t == label),
            "study_id": r["study_id"]})
    return out


def destruction_summary(rows: list[dict]) -> list[dict]:
    out = []
    keys = sorted({(r["transform"], r["method"], r["target"], float(r["eps"])) for r in rows})
    for transform, method, target, eps in keys:
        for tier in [t.value for t in Tier] + ["all"]:
            sel = [r for r in rows if (r["transform"], r["method"], r["target"])
                   == (transform, method, target) and float(r["eps"]) == eps
                   and (tier == "all" or r["tier"] == tier)]
            if not sel:
                continue
            counted = [r for r in sel if int(r["clean_correct"]) and int(r["adv_wrong"])]
            destroyed = sum(int(r["adv_t_correct"]) for r in counted)
            n = len(counted)
            lo, hi = wilson(destroyed, n) if n else (float("nan"), float("nan"))
            out.append({"transform": transform, "tier": tier, "method": method, "target": target,
                        "eps": f"{eps:g}", "images": len(sel), "counted": n,
                        "destroyed": destroyed,
                        "destruction_rate": f"{destroyed / n:.4f}" if n else "nan",
                        "destruction_rate_lo": f"{lo:.4f}", "destruction_rate_hi": f"{hi:.4f}",
                        "clean_t_accuracy": f"{sum(int(r['clean_t_correct']) for r in sel) / len(sel):.4f}"})
    return out
