"""A row of images.csv from an attack's result: the image's clean and adversarial top-5, its
error flags and its distances (the columns are records.schema's)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: building rows needs no onnxruntime of its own
    from advgui.core.attacks import AttackResult, Target
    from advgui.core.model.classifier import Classifier


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
              eps_to_flip: float | None = None, eps_to_flip_float: float | None = None) -> dict:
    """The row of image ``j`` of ``result``; ``queries_to_flip`` comes from the result (a
    query-based attack's; empty for the gradient attacks, "inf" when it never flipped)."""
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
        "alpha": f"{attack.step_size:g}", "steps": _steps(attack, result, j),
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
        "eps_to_flip_float": "" if eps_to_flip_float is None else f"{eps_to_flip_float:.6g}",
        "queries_to_flip": _queries(result.queries_to_flip, j),
    }


def _queries(queries_to_flip: np.ndarray | None, j: int) -> str:
    if queries_to_flip is None:
        return ""
    value = float(queries_to_flip[j])
    return "inf" if value < 0 or math.isinf(value) else f"{int(value)}"


def _steps(attack, result: AttackResult, j: int) -> int:
    """Image j's step records: a query-based attack's image stops when it is done, so its own
    queries give its count (the batch's count would depend on the images batched with it)."""
    every = getattr(attack, "every", None)
    if result.queries_used is None or every is None:
        return result.steps_taken
    return max(1, math.ceil(int(result.queries_used[j]) / every))
