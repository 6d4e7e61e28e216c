"""Calibrating the distilled InceptionV3 on genuine ImageNet validation photos.

The photos are split once, by a hash of each file name (stable across machines and listing
orders), into a fitting half and a held-out half. The calibration is fitted on the first and
every figure advgui reports is computed on the second; neither half is ever used for training.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from advgui.core.analysis.metrics import expected_calibration_error, summarize
from advgui.zoo.distill import fit_temperature, softmax


def is_fitting_half(path: Path | str) -> bool:
    """True for the photos the calibration is fitted on; False for the held-out ones."""
    return int(hashlib.sha256(Path(path).name.encode()).hexdigest(), 16) % 2 == 0


def split(files: list[Path]) -> np.ndarray:
    """Boolean mask of the fitting half."""
    return np.asarray([is_fitting_half(f) for f in files])


def fit_scale(logits: np.ndarray, labels: np.ndarray) -> float:
    """The factor that multiplies the logits (1 / temperature), fitted by NLL of the labels."""
    return 1.0 / fit_temperature(logits.astype(np.float64), labels)


# -- the image-dependent temperature ---------------------------------------------------------------
# One temperature for every image left the head overconfident exactly where it is least sure
# (ECE 0.047 held out). Its logits are spread less widely on photos it finds hard, so the scale
# is let depend on that spread and on the features' power:
#     logits = z * exp(a + b * log var(z) + c * log mean(f^2))
# b = c = 0 is plain temperature scaling; the argmax never changes (the factor is positive), so
# top-1 is untouched. Which form ships is decided by 5-fold cross-validated NLL inside the
# fitting half (select_form), never by the held-out figures.

FORMS = ("temperature", "adaptive")


def image_statistics(logits: np.ndarray, features: np.ndarray) -> np.ndarray:
    """[N, 3]: 1, log var(z), log mean(f^2): the regressors of the log scale."""
    var = logits.var(axis=1)
    power = (features.astype(np.float64) ** 2).mean(axis=1)
    return np.stack([np.ones(len(logits)), np.log(var), np.log(power)], axis=1)


def scaled(logits: np.ndarray, stats: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return logits * np.exp(stats @ theta)[:, None]


def nll_and_gradient(theta: np.ndarray, logits: np.ndarray, stats: np.ndarray,
                     labels: np.ndarray) -> tuple[float, np.ndarray]:
    scale = np.exp(stats @ theta)
    z = logits * scale[:, None]
    z_max = z.max(axis=1, keepdims=True)
    e = np.exp(z - z_max)
    total = e.sum(axis=1)
    rows = np.arange(len(labels))
    nll = float(np.mean(np.log(total) + z_max[:, 0] - z[rows, labels]))
    expected = (e * logits).sum(axis=1) / total
    per_image = scale * (expected - logits[rows, labels])
    return nll, (per_image[:, None] * stats).mean(axis=0)


def fit_adaptive(logits: np.ndarray, features: np.ndarray, labels: np.ndarray,
                 form: str = "adaptive", iterations: int = 100) -> np.ndarray:
    """theta = (a, b, c) minimising the NLL of the labels: Newton steps on a Hessian from
    central differences of the exact gradient, with backtracking (three parameters only)."""
    logits = logits.astype(np.float64)
    stats = image_statistics(logits, features)
    free = 3 if form == "adaptive" else 1
    theta = np.zeros(3)
    theta[0] = np.log(fit_scale(logits, labels))  # the plain temperature as the start
    if free == 1:
        return theta
    for _ in range(iterations):
        value, grad = nll_and_gradient(theta, logits, stats, labels)
        h = 1e-5
        hess = np.empty((3, 3))
        for j in range(3):
            d = np.zeros(3)
            d[j] = h
            hess[:, j] = (nll_and_gradient(theta + d, logits, stats, labels)[1] -
                          nll_and_gradient(theta - d, logits, stats, labels)[1]) / (2 * h)
        hess = (hess + hess.T) / 2 + 1e-9 * np.eye(3)
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = -grad
        if step @ grad >= 0:  # not a descent direction: fall back on the gradient
            step = -grad
        t = 1.0
        while t > 1e-8 and nll_and_gradient(theta + t * step, logits, stats, labels)[0] > value:
            t /= 2
        theta = theta + t * step
        if np.abs(t * step).max() < 1e-9:
            break
    return theta


def select_form(logits: np.ndarray, features: np.ndarray, labels: np.ndarray,
                folds: int = 5, seed: int = 0) -> dict:
    """Cross-validated NLL of each form inside the fitting half; the lower one ships."""
    order = np.random.default_rng(seed).permutation(len(labels))
    parts = np.array_split(order, folds)
    scores = {}
    for form in FORMS:
        losses = []
        for k in range(folds):
            test = parts[k]
            train = np.concatenate([parts[j] for j in range(folds) if j != k])
            theta = fit_adaptive(logits[train], features[train], labels[train], form)
            losses.append(nll_and_gradient(theta, logits[test].astype(np.float64),
                                           image_statistics(logits[test], features[test]),
                                           labels[test])[0])
        scores[form] = float(np.mean(losses))
    return {"cross_validated_nll": scores, "chosen": min(scores, key=scores.get)}


def ece_interval(probs: np.ndarray, labels: np.ndarray, rounds: int = 1000,
                 seed: int = 0) -> tuple[float, float]:
    """95 % bootstrap interval of the expected calibration error (images resampled)."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    values = [expected_calibration_error(probs[idx], labels[idx])
              for idx in (rng.integers(0, n, n) for _ in range(rounds))]
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def report(probs: np.ndarray, labels: np.ndarray) -> dict:
    """summarize() plus the ECE's bootstrap interval."""
    out = summarize(probs, labels)
    out["ece_95ci"] = list(ece_interval(probs, labels))
    return out


def calibration_report(student_logits: np.ndarray, features: np.ndarray,
                       teacher_logits: np.ndarray, labels: np.ndarray, fitting: np.ndarray,
                       theta: np.ndarray) -> dict:
    held = ~fitting
    plain = fit_adaptive(student_logits[fitting], features[fitting], labels[fitting],
                         "temperature")
    stats = image_statistics(student_logits[held], features[held])
    return {
        "data": "../shared/data/imagenet-val (genuine ILSVRC-2012 validation photos); "
                "fitted on the half whose sha256(file name) is even, figures on the other half",
        "fitting_images": int(fitting.sum()), "held_out_images": int(held.sum()),
        "theta": [float(t) for t in theta],
        "held_out": {
            "before": report(softmax(student_logits[held]), labels[held]),
            "temperature_only": report(softmax(scaled(student_logits[held], stats, plain)),
                                       labels[held]),
            "after": report(softmax(scaled(student_logits[held], stats, theta)), labels[held]),
            "efficientnet_lite0": report(softmax(teacher_logits[held]), labels[held]),
        },
    }


CALIBRATION_PREFIX = "calibration."
SCALE_NAME = "calibration.scale"  # the single temperature of earlier releases


def with_calibration(model, theta: np.ndarray, features: str = "features"):
    """The model with its logits z multiplied by exp(a + b log var(z) + c log mean(f^2)).

    Applied to the graph, not folded into the head's weights: the weights files stay byte for
    byte as they were, and the calibration is visible in the graph as what it is.
    """
    from onnx import helper, numpy_helper  # noqa: PLC0415

    graph = model.graph
    out = graph.output[0].name
    raw = f"{out}_uncalibrated"
    old = [n for n in graph.node if n.name.startswith("calibration")]
    for node in old:  # recalibrating: drop the earlier nodes and their constants
        graph.node.remove(node)
    kept = [t for t in graph.initializer if not t.name.startswith(CALIBRATION_PREFIX)]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(raw in n.output for n in graph.node):
        producer = next(n for n in graph.node if out in n.output)
        producer.output[:] = [raw if o == out else o for o in producer.output]
    a, b, c = (float(t) for t in theta)
    for name, value in (("a", a), ("b", b), ("c", c)):
        graph.initializer.append(numpy_helper.from_array(np.asarray(value, np.float32),
                                                         CALIBRATION_PREFIX + name))
    p = CALIBRATION_PREFIX

    def node(op, inputs, output, **attrs):
        graph.node.append(helper.make_node(op, inputs, [p + output], name=f"calibration.{output}",
                                           **attrs))
        return p + output

    mean = node("ReduceMean", [raw], "logit_mean", axes=[1], keepdims=1)
    centred = node("Sub", [raw, mean], "centred")
    var = node("ReduceMean", [node("Mul", [centred, centred], "squared")], "logit_var",
               axes=[1], keepdims=1)
    power = node("ReduceMean", [node("Mul", [features, features], "features_squared")],
                 "feature_power", axes=[1], keepdims=1)
    spread = node("Mul", [node("Log", [var], "log_var"), p + "b"], "spread_term")
    energy = node("Mul", [node("Log", [power], "log_power"), p + "c"], "power_term")
    log_scale = node("Add", [node("Add", [spread, energy], "terms"), p + "a"], "log_scale")
    scale = node("Exp", [log_scale], "scale")
    graph.node.append(helper.make_node("Mul", [raw, scale], [out], name="calibration"))
    return model
