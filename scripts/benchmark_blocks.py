"""The measured tables of docs/performance.md, docs/gradient.md, docs/guide.md and docs/models.md,
generated from their committed records: benchmarks/results/*.json and models/calibration.json.

Registered as generated blocks by scripts/render_blocks.py (`<!-- generated: NAME -->`); the
numbers the prose around them quotes are checked by tests/docs/test_benchmark_numbers.py.
JSON only, plus the cost model's arithmetic (advgui.core.study.cost_model: no onnxruntime).
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advgui.core.attacks.iterative import kurakin_steps  # noqa: E402
from advgui.core.study.cost_model import (Rates, format_duration_long, gpu_estimate,  # noqa: E402
                                          seconds_on, study_work)

BENCH = ROOT / "benchmarks" / "results"


@lru_cache(maxsize=None)
def record(name: str) -> dict:
    """A committed record: benchmarks/results/NAME.json, or models/NAME.json."""
    path = BENCH / f"{name}.json"
    if not path.is_file():
        path = ROOT / "models" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _table(head: list[str], body: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(row) + " |" for row in body])


def gradient_speed() -> str:
    speed = record("gradient_speed")
    body = []
    for batch, b in speed["batches"].items():
        body.append([batch + (" (the study's)" if batch == "8" else ""),
                     f"{b['ours_images_per_s']:.2f}", f"{b['torch_images_per_s']:.2f}",
                     (f"**{b['speedup_vs_torch']:.2f}×**" if b["speedup_vs_torch"] > 1
                      else f"{b['speedup_vs_torch']:.2f}×"),
                     f"{b['gradient_over_forward']:.2f} ({b['torch_gradient_over_forward']:.2f})",
                     f"{b['ours_gflops']:.0f} ({100 * b['fraction_of_peak']:.0f} %)",
                     f"{b['forward_gflops']:.0f} ({100 * b['forward_fraction_of_gemm']:.0f} %)"])
    return _table(["batch", "advgui images/s", "torch images/s", "ratio",
                   "gradient / forward (torch's)", "gradient GFLOP/s (share of peak)",
                   "forward GFLOP/s (of the best GEMM)"], body)


def big_folder() -> str:
    big = record("big_folder")
    rows = [(v, "tiny test classifier" + (" (the pipeline's own cost)" if i == 0 else ""))
            for i, v in enumerate(big["tiny_model"].values())]
    rows.append((big["inception_v3"], "InceptionV3 (the model's cost)"))
    return _table(["files", "model", "images/s", "peak memory"],
                  [[f"{r['files']:,}", name, f"{r['images_per_s']:.1f}" if r["images_per_s"] < 100
                    else f"{r['images_per_s']:.0f}", f"{r['peak_rss_mb']:,.0f} MB"]
                   for r, name in rows])


# The two studies the cost table prices: (label, images, eps levels).
COST_STUDIES = (("the seed's: 1,500 images, 4 attacks, eps 8", 1500, (8,)),
                ("50,000 images, 4 attacks, eps 2 4 8 16 32", 50000, (2, 4, 8, 16, 32)))


def cpu_rates() -> Rates:
    """The study's batch (8) rates of the committed gradient_speed record."""
    b = record("gradient_speed")["batches"]["8"]
    return Rates(b["forward_images_per_s"], b["ours_images_per_s"], "this CPU")


def study_cost() -> str:
    speed = record("gradient_speed")
    fwd, grad = speed["forward_gflop_per_image"], speed["gradient_gflop_per_image"]
    body = []
    for label, images, levels in COST_STUDIES:
        attacks = [(m, float(e), 1 if m == "fast" else kurakin_steps(e))
                   for e in levels for m in ("fast", "iterative")]
        work = study_work(images, images, attacks, targets=2)
        forward = sum(w.forward for w in work.values())
        gradient = sum(w.gradient for w in work.values())
        times = [seconds_on(work, r) for r in (cpu_rates(), gpu_estimate(fwd, grad, 1),
                                               gpu_estimate(fwd, grad, 8))]
        body.append([label, f"{forward:,.0f}", f"{gradient:,.0f}"]
                    + [format_duration_long(t) for t in times])
    return _table(["study", "forward runs", "gradient runs", "this CPU", "1 × A100 (est.)",
                   "8 × A100 (est.)"], body)


def family_gradients() -> str:
    fam = record("family_gradients")
    body = []
    for name, f in sorted((k, v) for k, v in fam.items() if not k.startswith("_")
                          and isinstance(v, dict)):
        stored = [e for e in f["exports"].values() if e.get("exported")]
        built = [e for e in stored if e.get("builds")]
        worst_l2 = max(e["rel_l2"] for e in built)
        worst_sign = min(e["sign_agreement"] for e in built)
        timing = f["timing"]
        body.append([name, f"{len(built)} of {len(stored)}", f"{worst_l2:.1e}",
                     f"{worst_sign:.4f}", f"{timing['ours_over_torch']:.2f}×",
                     f"{timing['ours_over_forward']:.2f}×"])
    return _table(["family (fixture folder)", "stored exports that build",
                   "relative L2 vs torch float64 (worst)", "sign agreement (worst)",
                   "gradient time: ours / torch", "ours: gradient / forward"], body)


def bundle() -> str:
    b = record("bundle")
    sizes = list(b["size_du_sh"].values())
    walls = [v for k, v in b["self_check_wall_s"].items() if k != "note"]
    names = ["`advgui` (CUDA provider inside)", "`advgui-cpu`"]
    return _table(["bundle", "size (`du -sh`)", "`advgui --self-check` wall time"],
                  [[name, size.replace("M", " MB"), f"{min(w):.1f}–{max(w):.1f} s"]
                   for name, size, w in zip(names, sizes, walls)])


def calibration() -> str:
    cal = record("calibration")["held_out"]
    rows = (("`inception_v3`, calibrated (shipped)", "after"),
            ("`inception_v3`, one temperature (the last release)", "temperature_only"),
            ("`inception_v3` before calibration on imagenet-val", "before"),
            ("`efficientnet_lite0`", "efficientnet_lite0"))
    body = []
    for label, key in rows:
        r = cal[key]
        lo, hi = r["ece_95ci"]
        ece = f"{r['ece']:.3f} [{lo:.3f}, {hi:.3f}]"
        body.append([label, f"{100 * r['top1']:.1f} % / {100 * r['top5']:.1f} %",
                     f"**{ece.split(' ')[0]}** {ece.split(' ', 1)[1]}" if key == "after" else ece,
                     f"{r['auc_top1_confidence']:.3f}",
                     f"{r['tier_high']} / {r['tier_medium']} / {r['tier_low']}"])
    return _table(["model", "top-1 / top-5", "ECE", "AUC", "tiers high / medium / low"], body)


BLOCKS = {
    "gradient-speed": gradient_speed,
    "big-folder": big_folder,
    "study-cost": study_cost,
    "family-gradients": family_gradients,
    "bundle": bundle,
    "calibration": calibration,
}
