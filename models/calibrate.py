"""Calibrate the shipped InceptionV3 on genuine ImageNet validation photos (about 2 minutes).

    python models/calibrate.py

Chooses between one temperature and the image-dependent one (advgui.zoo.calibration) by
cross-validated NLL inside the fitting half of ../shared/data/imagenet-val, fits the chosen form
on that half, writes it into models/inception_v3.onnx as `calibration.*` nodes (the weights files
are not touched), and reports the held-out half beside EfficientNet-Lite0 in
models/calibration.json and models.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advgui.core.model.hashing import sha256_file  # noqa: E402
from advgui.core.analysis.metrics import summarize  # noqa: E402
from advgui.zoo.distill import softmax  # noqa: E402
from advgui.zoo.calibration import (calibration_report, fit_adaptive, image_statistics, scaled,  # noqa: E402
                                    select_form, split, with_calibration)
from advgui.zoo.sources import Shared, default_shared  # noqa: E402
from models.calibrate_features import NIPS_CACHE, main as extract_val  # noqa: E402

HERE = Path(__file__).resolve().parent
MODEL = HERE / "inception_v3.onnx"


def head_of(model: onnx.ModelProto) -> tuple[np.ndarray, np.ndarray]:
    """The distilled layer's weight and bias, read from its external weights file."""
    names = {"logits.weight", "logits.bias"}
    tensors = {t.name: t for t in model.graph.initializer if t.name in names}
    out = {}
    for name, t in tensors.items():
        info = {e.key: e.value for e in t.external_data}
        with open(HERE / info["location"], "rb") as fh:
            fh.seek(int(info.get("offset", 0)))
            raw = fh.read(int(info["length"]))
        out[name] = np.frombuffer(raw, np.float32).reshape(tuple(t.dims))
    return out["logits.weight"], out["logits.bias"]


SLICE_EVERY = 8


def held_out_slice(files, logits: np.ndarray, labels: np.ndarray, fitting: np.ndarray) -> dict:
    """Every 8th held-out photo with its calibrated top-1, so a test can recompute them from the
    shipped model and fail if a later change breaks the calibration."""
    idx = np.flatnonzero(~fitting)[::SLICE_EVERY]
    probs = softmax(logits[idx])
    return {"files": [f"{Path(files[i]).parent.name}/{Path(files[i]).name}" for i in idx],
            "labels": labels[idx].tolist(), "top1": probs.argmax(1).tolist(),
            "top1_probability": [round(float(p), 6) for p in probs.max(1)],
            "summary": summarize(probs, labels[idx])}


def calibrate(shared: Shared) -> dict:
    cache = extract_val(["--shared", str(shared.root)])
    data = np.load(cache)
    files, labels = shared.imagenet_val()
    model = onnx.load(MODEL, load_external_data=False)
    w, b = head_of(model)
    features = data["features"].astype(np.float64)
    logits = features @ w.T.astype(np.float64) + b
    fitting = split(files)
    choice = select_form(logits[fitting], features[fitting], labels[fitting])
    theta = fit_adaptive(logits[fitting], features[fitting], labels[fitting], choice["chosen"])
    result = calibration_report(logits, features, data["teacher"].astype(np.float64), labels,
                                fitting, theta)
    result["form"] = {"logits": "z * exp(a + b * log var(z) + c * log mean(features^2))",
                      "theta_is": "(a, b, c)", **choice}
    result["held_out_slice"] = held_out_slice(
        files, scaled(logits, image_statistics(logits, features), theta), labels, fitting)
    nips = np.load(cache.parent / NIPS_CACHE)
    nips_features = nips["features"].astype(np.float64)
    nips_logits = nips_features @ w.T.astype(np.float64) + b
    nips_labels = shared.nips17()[1]
    result["nips17_dev"] = {
        "data": "../shared/data/nips17-dev (1,000 photos chosen to be easy; never fitted on)",
        "before": summarize(softmax(nips_logits), nips_labels),
        "after": summarize(softmax(scaled(nips_logits, image_statistics(nips_logits, nips_features),
                                          theta)), nips_labels),
        "efficientnet_lite0": summarize(softmax(nips["teacher"].astype(np.float64)), nips_labels)}
    onnx.save(with_calibration(model, theta), MODEL)
    onnx.checker.check_model(str(MODEL))
    (HERE / "calibration.json").write_text(json.dumps(result, indent=1) + "\n")
    manifest = json.loads((HERE / "models.json").read_text())
    held = result["held_out"]
    for entry in manifest["models"]:
        key = "after" if entry["name"] == "inception_v3" else "efficientnet_lite0"
        entry["accuracy_imagenet_val_held_out"] = held[key]
        entry["accuracy_nips17_dev"] = result["nips17_dev"][key]
        if entry["name"] == "inception_v3":
            entry["sha256"][MODEL.name] = sha256_file(MODEL)
            entry["calibration"] = {"nodes": "calibration.*", "form": result["form"]["logits"],
                                    "theta": result["theta"], "fitted_on": result["data"]}
    (HERE / "models.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--shared", type=Path, default=default_shared())
    args = ap.parse_args(argv)
    print(json.dumps(calibrate(Shared(args.shared))["held_out"], indent=1))


if __name__ == "__main__":
    main()
