"""Calibrating the distilled InceptionV3 on genuine ImageNet validation photos.

The photos are split once, by a hash of each file name (stable across machines and listing
orders), into a fitting half and a held-out half. The calibration is fitted on the first and
every figure advgui reports is computed on the second; neither half is ever used for training.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from advgui.core.metrics import expected_calibration_error, summarize
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


def calibration_report(student_logits: np.ndarray, teacher_logits: np.ndarray, labels: np.ndarray,
                       fitting: np.ndarray, scale: float) -> dict:
    held = ~fitting
    return {
        "data": "../shared/data/imagenet-val (genuine ILSVRC-2012 validation photos); "
                "fitted on the half whose sha256(file name) is even, figures on the other half",
        "fitting_images": int(fitting.sum()), "held_out_images": int(held.sum()),
        "scale": scale,
        "held_out": {
            "before": report(softmax(student_logits[held]), labels[held]),
            "after": report(softmax(student_logits[held] * scale), labels[held]),
            "efficientnet_lite0": report(softmax(teacher_logits[held]), labels[held]),
        },
    }


SCALE_NAME = "calibration.scale"


def with_scale(model, scale: float):
    """The model with its logits multiplied by ``scale`` (a named, inline initializer).

    Applied to the graph, not folded into the head's weights: the weights files stay byte for
    byte as they were, and the calibration is visible in the graph as what it is.
    """
    from onnx import helper, numpy_helper  # noqa: PLC0415

    graph = model.graph
    out = graph.output[0].name
    old = [n for n in graph.node if SCALE_NAME in n.input]
    if old:  # recalibrating: drop the earlier node and reconnect the head to the output
        for node in old:
            graph.node.remove(node)
        for node in graph.node:
            node.output[:] = [out if o == f"{out}_uncalibrated" else o for o in node.output]
        kept = [t for t in graph.initializer if t.name != SCALE_NAME]
        del graph.initializer[:]
        graph.initializer.extend(kept)
    producer = next(n for n in graph.node if out in n.output)
    producer.output[:] = [f"{out}_uncalibrated" if o == out else o for o in producer.output]
    graph.initializer.append(numpy_helper.from_array(np.asarray(scale, np.float32), SCALE_NAME))
    graph.node.append(helper.make_node("Mul", [f"{out}_uncalibrated", SCALE_NAME], [out],
                                       name="calibration"))
    return model
