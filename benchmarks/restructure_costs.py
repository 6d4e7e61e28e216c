"""Costs issue 21's restructuring set out to cut, measured the same way on any tree:

(a) end-of-run report time (write_reports: summary, fragility with its Spearman bootstrap, both
    figures) of a synthetic 3,000-image, 48-group study;
(b) wall time of ``python -m advgui.cli.main summary FOLDER`` (best of 5) on a small study, and
    what importing the CLI costs (seconds, modules, whether onnxruntime is among them);
(c) modules loaded to merge two shards (importing the merge), and whether onnxruntime is one.

    PYTHONPATH=TREE python benchmarks/restructure_costs.py [--images 3000] [--skip-reports]

Run it once with PYTHONPATH at the release and once at the restructured tree, on the same machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METHODS = ("fast", "iterative", "pgd", "momentum")
TARGETS = ("least-likely", "inverse")
EPS = (1, 2, 4, 8, 16, 32)  # 4 methods x 2 targets x 6 eps = 48 groups


def _first(*names: str):
    """The first of the named attributes ('module:attr') this tree has (release or restructured)."""
    import importlib  # noqa: PLC0415

    for name in names:
        module, attr = name.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ImportError:
            continue
    raise ImportError(f"none of {names}")


def synthetic_rows(images: int, seed: int = 0) -> list[dict]:
    """images.csv rows of a plausible study: confidence drives how easily an image flips."""
    rng = np.random.default_rng(seed)
    conf = rng.beta(2, 2, images)
    tiers = np.where(conf >= 0.3, "high", np.where(conf >= 0.15, "medium", "low"))
    truth = rng.integers(0, 1000, images)
    right = rng.random(images) < 0.75
    clean_top1 = np.where(right, truth, (truth + 1) % 1000)
    rows = []
    for method in METHODS:
        for target in TARGETS:
            for eps in EPS:
                # The least confident flip at the smallest eps, so every eps has a finite median
                # (the release cannot draw an eps without one).
                flip_at = np.maximum(1, np.ceil(64 * conf ** 2 * rng.random(images)))
                flip_at[rng.random(images) < 0.1] = np.inf
                flipped = flip_at <= eps
                for i in range(images):
                    adv5 = [int(clean_top1[i]) + k + (1 if flipped[i] else 0) for k in range(5)]
                    clean5 = [int(clean_top1[i]) + k for k in range(5)]
                    rows.append({
                        "file": f"img{i:05d}.png", "truth": str(truth[i]), "tier": tiers[i],
                        "clean_top1": str(clean_top1[i]),
                        "clean_top1_probability": f"{conf[i]:.6f}",
                        "clean_top5": ";".join(f"{c}:0.1" for c in clean5),
                        "adv_top5": ";".join(f"{c}:0.1" for c in adv5),
                        "method": method, "target": target, "eps": f"{eps:g}",
                        "truth_in_clean_top5": str(int(int(truth[i]) in clean5)),
                        "top1_error_truth": str(int(adv5[0] != truth[i])),
                        "top5_error_truth": str(int(int(truth[i]) not in adv5)),
                        "top1_error_clean": str(int(flipped[i])),
                        "top5_error_clean": str(int(clean5[0] not in adv5)),
                        "eps_to_flip": "" if not flipped[i] else f"{flip_at[i]:g}",
                        "status": "ok", "error": ""})
    return rows


def report_time(images: int) -> float:
    write_reports = _first("advgui.core.study.reports:write_reports",
                           "advgui.core.study_reports:write_reports")
    rows = synthetic_rows(images)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_reports(Path(tmp), rows, {}, "synthetic")
        return time.perf_counter() - start


def _write_images_csv(folder: Path, rows: list[dict]) -> None:
    columns = _first("advgui.core.records.schema:IMAGE_COLUMNS", "advgui.core.scoring:IMAGE_COLUMNS")
    folder.mkdir(parents=True, exist_ok=True)
    full = [{c: r.get(c, "0") for c in columns} for r in rows]
    for r in full:  # cells the summary's validation reads as numbers
        r.update(eps_to_flip=r["eps_to_flip"] if r["eps_to_flip"] != "0" else "",
                 study_id="synthetic", steps="1", first_flip_step="1", linf="1", l2="1",
                 psnr="40", adv_top1_probability="0.5", target_class="1", adv_top1="1")
    with open(folder / "images.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(full)


def fresh(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


COUNT = ("import json, sys, time\nt = time.perf_counter()\n{imports}\n"
         "print(json.dumps({{'seconds': time.perf_counter() - t, 'modules': len(sys.modules), "
         "'onnxruntime': 'onnxruntime' in sys.modules, 'onnx': 'onnx' in sys.modules}}))")


def summary_command(folder: Path, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "advgui.cli.main", "summary", str(folder)],
                       check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--skip-reports", action="store_true")
    args = ap.parse_args()
    import advgui  # noqa: PLC0415

    print(f"tree: {Path(advgui.__file__).parents[1]}")
    if not args.skip_reports:
        print(f"(a) write_reports, {args.images} images x 48 groups: "
              f"{report_time(args.images):.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "study"
        _write_images_csv(folder, synthetic_rows(100)[:100 * 4])
        print(f"(b) advgui-cli summary (100 images, 4 groups), best of 5: "
              f"{summary_command(folder):.2f} s")
    cli = fresh(COUNT.format(imports="import advgui.cli.main"))
    print(f"    import advgui.cli.main: {cli['seconds']:.2f} s, {cli['modules']} modules, "
          f"onnxruntime loaded: {cli['onnxruntime']}")
    merge = fresh(COUNT.format(imports="try:\n    import advgui.core.study.merge\n"
                               "except ImportError:\n    import advgui.core.merge"))
    print(f"(c) merge two shards (import the merge): {merge['modules']} modules, "
          f"{merge['seconds']:.2f} s, onnxruntime loaded: {merge['onnxruntime']}, "
          f"onnx: {merge['onnx']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
