"""The measured pages (performance, models, gradient, guide; a count each in README and cli):
every number their prose quotes from a
benchmark or the calibration is computed here from its committed record (benchmarks/results/*.json,
models/*.json, the weight files), and on performance.md and models.md a number that no quote,
setting or citation covers fails, so a figure without a record cannot come back unnoticed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import benchmark_blocks as B  # noqa: E402
import results_record  # noqa: E402

from tests.docs.prose_numbers import flat, unchecked  # noqa: E402
from advgui.core.analysis.fragility import FAST_SEARCH_RUNS  # noqa: E402
from advgui.core.study import cost_model  # noqa: E402

DOCS = ROOT / "docs"
WORDS = {3: "three", 6: "six"}


def _mb(path: str) -> str:
    return f"{(ROOT / path).stat().st_size / 1e6:.0f} MB"


def performance() -> list[str]:
    s = B.record("gradient_speed")
    b8 = s["batches"]["8"]
    torch_forward = b8["torch_images_per_s"] * b8["torch_gradient_over_forward"]
    big = B.record("big_folder")
    tiny = list(big["tiny_model"].values())
    grown = tiny[-1]["peak_rss_mb"] - tiny[0]["peak_rss_mb"]
    per_file = grown * 2 ** 20 / (tiny[-1]["files"] - tiny[0]["files"])
    inc = big["inception_v3"]
    mem = B.record("browser_memory")
    error = s["gradient_rel_l2_error_vs_torch_float64"]
    return [
        f"numpy reached {s['numpy_matmul_gflops']:.0f} GFLOP/s and ONNX Runtime's\nMatMul "
        f"{s['onnxruntime_matmul_gflops']:.0f}",
        f"reached {b8['forward_gflops']:.0f} GFLOP/s, {100 * b8['forward_fraction_of_gemm']:.0f} % "
        "of the best GEMM",
        f"{b8['forward_images_per_s'] / torch_forward:.2f}× torch's "
        f"({b8['forward_images_per_s']:.1f} vs {torch_forward:.1f} images/s at batch 8)",
        f"off by {error['ours_float32']:.1e} (relative L2), torch's own float32 gradient by "
        f"{error['torch_float32']:.1e}".replace("e-02", "e-2"),
        f"fast {s['study_images_per_s']['fast']:.2f}\nimages/s, iterative (10 steps) "
        f"{s['study_images_per_s']['iterative']:.2f} images/s",
        f"take about\n{s['projected_seed_study_minutes']:.0f} minutes on this machine",
        f"grows by {s['memory']['growth_after_first_batch_mb']:.0f} MB over "
        f"{s['memory']['images']} images",
        f"through {mem['images']:,}\nphotos; it holds at most {mem['capped']['cap']:,} thumbnails, "
        f"so memory stops growing at about {mem['capped']['rss_growth_mb']['100%']:.0f} MB",
        f"cap: {mem['uncapped']['rss_growth_mb']['100%']:.0f} MB and rising after "
        f"{mem['uncapped']['thumbnails_held']:,} thumbnails",
        f"So {tiny[-1]['files']:,} files cost {grown:.0f} MB more than {tiny[0]['files']:,}, about "
        f"{per_file / 1e3:.1f} KB a file",
        f"1.28 M-image training set would cost about {1.28e6 * per_file / 1e9:.1f} GB",
        f"At InceptionV3's {inc['images_per_s']:.0f} images/s, classifying {tiny[-1]['files']:,} "
        f"photos takes {tiny[-1]['files'] / inc['images_per_s'] / 60:.0f} minutes",
        f"counted at {cost_model.FLIP_SEARCH_TYPICAL}\nforward runs, at most {FAST_SEARCH_RUNS}: "
        f"every level 1..64 up to the first flip, then {WORDS[FAST_SEARCH_RUNS - 64]} bisections",
        f"InceptionV3 takes\n{s['forward_gflop_per_image']:.1f} GFLOP per forward run and "
        f"{s['gradient_gflop_per_image']:.1f} per gradient run",
        f"({B.cpu_rates().forward:.1f} forward, {B.cpu_rates().gradient:.1f} gradient images/s",
        f"FLOPs at {100 * cost_model.GPU_FRACTION:.0f} % of an NVIDIA A100's\n"
        f"{cost_model.GPU_FP32_PEAK_TFLOPS} TFLOPS float32 peak",
    ]


PERFORMANCE_SETTINGS = ["torch 2.13.0", "2-vCPU", "2048²", "five rounds", "batch 8",
                        "(10 steps)", "1,500 images × 4 attacks", "3e38", "10-bit mantissas",
                        "every 30 ms", "top five classes", "all 1,000 probabilities",
                        "\"412 / 1,000 classified, 2 min left\"", "256 × 256 JPEGs",
                        "One forward run per image", "17-level grid", "8-bit", "batch 8 (19.3",
                        "2-vCPU EPYC"]


def models() -> list[str]:
    cal = B.record("calibration")
    held, nips = cal["held_out"], cal["nips17_dev"]
    after, before, one = held["after"], held["before"], held["temperature_only"]
    dist = B.record("distillation")
    a, b, c = cal["theta"]
    cv = cal["form"]["cross_validated_nll"]
    eff = held["efficientnet_lite0"]
    n = held["after"]["n"]
    tiers = lambda r: f"{r['tier_high']} / {r['tier_medium']} / {r['tier_low']}"
    views = dist["views_per_image"]
    decay = f"{dist['config']['weight_decay']:.0e}".replace("e-0", "e-")
    return [
        f"half ({cal['held_out_images']} photos)",
        f"On the {nips['after']['n']:,} easy photos of nips17-dev (never fitted on): calibrated "
        f"InceptionV3 top-1 {100 * nips['after']['top1']:.1f} %,\nECE {nips['after']['ece']:.3f}, "
        f"tiers {tiers(nips['after'])} (uncalibrated: ECE {nips['before']['ece']:.3f}, "
        f"{tiers(nips['before'])}); EfficientNet-Lite0\n"
        f"{100 * nips['efficientnet_lite0']['top1']:.1f} %, ECE "
        f"{nips['efficientnet_lite0']['ece']:.3f}, {tiers(nips['efficientnet_lite0'])}.",
        f"(temperature {dist['held_out_100_of_900']['calibrated_temperature']:.3f}) on "
        f"{dist['held_out_100_of_900']['held_out']['student']['n']} of",
        f"it was {100 * before['ece']:.0f}\npoints overconfident (ECE {before['ece']:.3f}) and put "
        f"{100 * before['tier_high'] / before['n']:.0f} % of them in the high tier",
        f"a = {a:.3f}, b = −{-b:.3f}, c = {c:.3f}",
        f"(AUC {one['auc_top1_confidence']:.3f} → {after['auc_top1_confidence']:.3f})",
        f"({cal['fitting_images']} photos,\neven SHA-256",
        f"(one\ntemperature {cv['temperature']:.3f}, this form {cv['adaptive']:.3f})",
        f"(ECE {nips['before']['ece']:.3f} → {nips['after']['ece']:.3f})",
        f"ECE {after['ece']:.3f} ≤ 0.04, AUC {after['auc_top1_confidence']:.3f} ≥ 0.86",
        f"on {n} photos (its interval [{after['ece_95ci'][0]:.3f}, {after['ece_95ci'][1]:.3f}])",
        f"{100 * after['tier_medium'] / n:.1f} % medium and {100 * after['tier_low'] / n:.1f} % low",
        f"EfficientNet-Lite0's {100 * eff['tier_medium'] / n:.1f} % / "
        f"{100 * eff['tier_low'] / n:.1f} % on the same photos",
        f"miscalibrated (ECE {eff['ece']:.3f})",
        f"(temperature {dist['config']['temperature']:g}, KL loss, weight decay {decay}, Adam, "
        f"{dist['config']['epochs']} epochs) over\n{dist['training_views']:,} augmented views "
        f"({views} each: centre crop + {views - 1} random",
        "of the 900 sample images and the 1,000 unlabeled photos"
        if dist["training_views"] == views * 1900 else "views differ",
        f"(`models/inception_v3_backbone.weights`, {_mb('models/inception_v3_backbone.weights')})",
        f"in its own {_mb('models/inception_v3_head.weights')} file",
    ]


MODELS_SETTINGS = ["2015-12-05", "ILSVRC-2012", "15 bins", "95 %", "2,048 pooled features",
                   "5-fold", "within 2e-5", "and 5e-5", "2048 → 1000", "every 8th held-out photo",
                   "Issue 26's", "top-1", "(the seed's 30 % / 15 %)"]


def gradient() -> list[str]:
    fam = {k: v for k, v in B.record("family_gradients").items()
           if not k.startswith("_") and isinstance(v, dict)}
    machine = B.record("family_gradients")["_machine"]
    over_forward = [f["timing"]["ours_over_forward"] for f in fam.values()]
    over_torch = [f["timing"]["ours_over_torch"] for f in fam.values()]
    speed = [b["speedup_vs_torch"] for b in B.record("gradient_speed")["batches"].values()]
    return [
        f"(load average {machine['load_average_1m_before']:.1f} to\n"
        f"{machine['load_average_1m_after']:.1f}) the gradient took {min(over_forward):.2f}–"
        f"{max(over_forward):.2f}× our forward pass and {min(over_torch):.2f}–"
        f"{max(over_torch):.2f}× torch's time",
        "InceptionV3 at 299 px: about 1×" if 0.9 < min(speed) and max(speed) < 1.25 else "?",
        f"median of {machine['repeats']}",
    ]


def guide() -> list[str]:
    b = B.record("bundle")
    parts = b["largest_parts_mib"]
    runs = {len(v) for k, v in b["self_check_wall_s"].items() if k != "note"}
    study = b["bundled_cli_study_s"]["efficientnet_lite0, 2 photos, fast, least-likely, eps 4 8"]
    minutes = [s / 60 for s in b["build_s"].values()]
    return [
        "(PyInstaller, about 3 minutes)" if 2.5 <= min(minutes) and max(minutes) <= 3.5 else "?",
        f"ONNX Runtime with its CUDA provider is {parts['onnxruntime with CUDA provider']} MB "
        f"({parts['onnxruntime CPU only']} MB without), the models\n{parts['models']} MB, Qt "
        f"{parts['PySide6']} MB, matplotlib {parts['matplotlib']} MB",
        f"{WORDS[runs.pop()]} runs each", "(load 6–9)" if "load average 6-9" in b["machine"] else "?",
        f"took\n{study:.0f} s",
    ]


def readme() -> list[str]:
    samples = [p for p in (ROOT / "advgui" / "samples" / "images").iterdir()
               if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    return [f"opens at once on {len(samples)} bundled sample photos"]


def cli() -> list[str]:
    pilot = results_record.images("pilot-nips17-family", "all")
    return [f"an earlier {pilot}-photo pilot on nips17-dev"]


PAGES = {"../README.md": readme, "cli.md": cli, "performance.md": performance, "models.md": models,
         "gradient.md": gradient,
         "guide.md": guide}
COVERED = {"performance.md": PERFORMANCE_SETTINGS, "models.md": MODELS_SETTINGS}


@pytest.mark.parametrize("page,quote", [(p, q) for p, f in PAGES.items() for q in f()])
def test_each_measured_number_is_its_record(page, quote):
    assert flat(quote) in flat((DOCS / page).read_text(encoding="utf-8")), \
        f"docs/{page} does not say {quote!r} (what its record gives)"


@pytest.mark.parametrize("page", list(COVERED))
def test_every_number_of_the_measured_pages_has_a_record(page):
    loose = unchecked((DOCS / page).read_text(encoding="utf-8"), PAGES[page]() + COVERED[page])
    assert loose == [], f"docs/{page}: numbers without a checked record:\n" + \
        "\n".join(f"{n!r} in ...{ctx}..." for n, ctx in loose)

