"""How much work a study is, and how long it takes: counted evaluations, measured CPU rates, and a
GPU estimate from the model's FLOPs (marked as an estimate until measured on that GPU).

Per image of the folder: one forward run (classification). Per sampled image and target:
- fast: one gradient run, one forward run of the 8-bit result, and the eps-to-flip search (the
  gradient sign is the attack's own; one forward run per level until the top-1 flips, then the
  float measure's bisection: at most FAST_SEARCH_RUNS);
- iterative: one gradient run per step and one forward run of the 8-bit result.
"""

from __future__ import annotations

from dataclasses import dataclass

from advgui.core.analysis.fragility import FAST_SEARCH_RUNS

# A named GPU's float32 peak (advgui turns TF32 off, so tensor-core TF32 rates do not apply),
# and the share of it a convolutional network's forward and backward passes reach in practice.
GPU_NAME = "NVIDIA A100 (SXM, 40/80 GB)"
GPU_FP32_PEAK_TFLOPS = 19.5
GPU_FRACTION = 0.35
# Typical forward runs of the eps-to-flip search: the fast attack flips most images at a few
# levels, then the float measure bisects six times; the worst case is FAST_SEARCH_RUNS.
FLIP_SEARCH_TYPICAL = 10


@dataclass(frozen=True)
class Work:
    forward: float  # image-evaluations
    gradient: float

    def __add__(self, other: "Work") -> "Work":
        return Work(self.forward + other.forward, self.gradient + other.gradient)


@dataclass(frozen=True)
class Rates:
    """Images per second of one forward and one gradient evaluation, measured here."""

    forward: float
    gradient: float
    device: str


def study_work(images: int, sampled: int, attacks: list[tuple[str, float, int]],
               targets: int, transfer_models: int = 0,
               flip_search: int = FLIP_SEARCH_TYPICAL) -> dict[str, Work]:
    """Evaluations by phase. ``attacks``: (method, eps, steps; square: its query budget, each a
    forward run, the worst case); transfer models score every adversarial image once each
    (forward runs of other models, counted like ours)."""
    out = {"classify": Work(images, 0)}
    for method, eps, steps in attacks:
        n = sampled * targets
        if method == "fast":
            work = Work(n * (1 + flip_search), n)
        elif method == "square":  # gradient-free: ``steps`` is its query budget (the worst case)
            work = Work(n * steps, 0)
        else:
            work = Work(n, n * steps)
        if transfer_models:
            work = work + Work(n * transfer_models, 0)
        key = f"{method} eps {eps:g}"
        out[key] = out.get(key, Work(0, 0)) + work
    return out


def seconds_on(work: dict[str, Work], rates: Rates) -> float:
    return sum(w.forward / rates.forward + w.gradient / rates.gradient for w in work.values())


def gpu_estimate(forward_gflop: float, gradient_gflop: float, gpus: int = 1) -> Rates:
    """Images per second on ``gpus`` GPUs of GPU_NAME at GPU_FRACTION of its float32 peak."""
    flops = GPU_FP32_PEAK_TFLOPS * 1e12 * GPU_FRACTION * gpus
    return Rates(flops / (forward_gflop * 1e9), flops / (gradient_gflop * 1e9),
                 f"{gpus} x {GPU_NAME} (estimate: {GPU_FRACTION:.0%} of "
                 f"{GPU_FP32_PEAK_TFLOPS} TFLOPS float32)")


def format_duration(seconds: float) -> str:
    """H:MM:SS, or M:SS under an hour: the ETA the CLI and the window both show."""
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}" if h else f"{m:d}:{s:02d}"


def format_duration_long(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def format_plan(work: dict[str, Work], cpu: Rates, gpu_rates: list[Rates],
                forward_gflop: float, gradient_gflop: float) -> str:
    lines = ["phase                  forward runs   gradient runs"]
    for name, w in work.items():
        lines.append(f"{name:<22} {w.forward:>12,.0f}   {w.gradient:>13,.0f}")
    total = Work(sum(w.forward for w in work.values()), sum(w.gradient for w in work.values()))
    lines.append(f"{'total':<22} {total.forward:>12,.0f}   {total.gradient:>13,.0f}")
    lines.append(f"work: {(total.forward * forward_gflop + total.gradient * gradient_gflop) / 1e3:,.1f}"
                 f" TFLOP ({forward_gflop:.1f} GFLOP per forward, {gradient_gflop:.1f} per "
                 "gradient, per image)")
    lines.append(f"{cpu.device}: {cpu.forward:.1f} forward / {cpu.gradient:.1f} gradient "
                 f"images/s measured now -> {format_duration_long(seconds_on(work, cpu))}")
    for rates in gpu_rates:
        lines.append(f"{rates.device}: -> {format_duration_long(seconds_on(work, rates))}")
    lines.append(f"(the eps-to-flip search is counted at {FLIP_SEARCH_TYPICAL} forward runs per "
                 f"fast attack, at most {FAST_SEARCH_RUNS}; decoding images and writing PNGs and "
                 "CSV rows are not counted)")
    return "\n".join(lines)
