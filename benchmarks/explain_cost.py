"""Cost per attack step of each explanation view on InceptionV3, beside one attack step.

    python benchmarks/explain_cost.py [--repeats 3] [--device cpu]

One image (299 x 299), batch 1, each view's own session (advgui/core/explain/explainer.py):
the input-gradient map (forward + the whole reversed graph), Grad-CAM at the last spatial map
(forward + the reversed head only), the layer divergence (forward with the blocks as outputs,
plus the numpy distances), and one attack step (Classifier.gradient: forward + reversed graph).
Median wall time of ``--repeats`` runs after one warm-up; session build times are printed apart.
Writes benchmarks/results/explain_cost.json.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from advgui.core.explain import Explainer
from advgui.core.model.registry import load_classifier

ROOT = Path(__file__).resolve().parents[1]


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up: ONNX Runtime allocates its arenas on the first run
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    clf = load_classifier("inception_v3", device=args.device)
    photo = sorted(glob.glob(str(ROOT / "advgui/samples/images/*")))[0]
    pixels = np.asarray(clf.preprocessing.crop(Image.open(photo).convert("RGB")))[None]
    x = clf.preprocessing.to_model(pixels.astype(np.float32)).astype(np.float32)
    adv = x + np.random.default_rng(0).choice([-1.0, 1.0], x.shape).astype(np.float32) * 0.03
    builds = {}
    start = time.perf_counter()
    clf.ensure_gradient()
    builds["attack gradient graph"] = time.perf_counter() - start
    explainer = Explainer(clf)
    for key, make in (("input-gradient graph", lambda: explainer._gradient_session(
                          "image", explainer.parts.image)),
                      ("Grad-CAM graph", lambda: explainer._gradient_session(
                          "cam", explainer.parts.spatial_map.name)),
                      ("blocks graph", explainer._blocks_session)):
        start = time.perf_counter()
        make()
        builds[key] = time.perf_counter() - start
    explainer.divergence(x[0], adv[0])  # the clean activations are cached once per photo
    target, direction = np.array([0]), np.array([1.0])
    costs = {
        "attack step (gradient of the loss)": _median_ms(
            lambda: clf.gradient(adv, target, direction), args.repeats),
        "forward pass alone": _median_ms(lambda: clf.probabilities(adv), args.repeats),
        "input-gradient map": _median_ms(lambda: explainer.input_gradient(adv[0], 0), args.repeats),
        "Grad-CAM (mixed_10)": _median_ms(lambda: explainer.grad_cam(adv[0]), args.repeats),
        f"layer divergence ({len(explainer.parts.blocks)} blocks)": _median_ms(
            lambda: explainer.divergence(x[0], adv[0]), args.repeats),
        "all three views": _median_ms(lambda: explainer.frame(x[0], adv[0], 0), args.repeats),
    }
    step = costs["attack step (gradient of the loss)"]
    print(f"InceptionV3, batch 1, {clf.device.describe()}, {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()}), median of {args.repeats}")
    for name, ms in costs.items():
        print(f"  {name:40s} {ms:8.0f} ms  {ms / step:5.2f} x attack step")
    for name, s in builds.items():
        print(f"  build {name:34s} {s:8.1f} s (once per model)")
    (ROOT / "benchmarks/results/explain_cost.json").write_text(json.dumps({
        "model": "inception_v3", "device": clf.device.describe(), "cpus": os.cpu_count(),
        "repeats": args.repeats, "ms_per_step": costs, "build_s": builds}, indent=1) + "\n")


if __name__ == "__main__":
    main()
