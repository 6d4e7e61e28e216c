"""The first GPU check (issue 25), in well under 10 minutes on one GPU:

1. the seed study's throughput (fast and iterative, 10 steps, the seed's two targets) on CUDA
   against the CPU figure (README "Speed": fast 1.61, iterative 0.65 images/s on the 2-core
   EPYC; --cpu-images also measures this machine's CPU on a few images);
2. the gradient's agreement CUDA vs CPU on InceptionV3 for a few photos: relative L2 of the
   gradient and the share of pixels whose sign agrees;
3. which execution provider ran each node of the forward and the gradient graph (ONNX Runtime
   profiling): a node that silently fell back to the CPU shows up in the count.

    python scripts/gpu_check/check.py --out gpu_check.json            # on the GPU machine
    python scripts/gpu_check/check.py --cpu-only --model tiny.onnx    # the CPU half, anywhere
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from advgui.core.autodiff.build import build_gradient_model  # noqa: E402
from advgui.core.model.images import load_batch  # noqa: E402
from advgui.core.model.registry import load_classifier  # noqa: E402

SAMPLES = ROOT / "advgui" / "samples" / "images"
CPU_FIGURE = {"fast": 1.61, "iterative": 0.65, "machine": "2-core EPYC (README 'Speed')"}


def study_throughput(model: str, device: str, images: int, steps: int) -> dict:
    """images/s of a real study (advgui-cli study, fast and iterative at the seed's eps 16,
    both targets), each method run on its own so that its time is its own."""
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "imgs"
        folder.mkdir()
        for photo in sorted(SAMPLES.iterdir())[:images]:
            shutil.copy(photo, folder)
        for method in ("fast", "iterative"):
            out = Path(tmp) / method
            cmd = [sys.executable, "-m", "advgui.cli.main", "study", str(folder), "--out",
                   str(out), "--model", model, "--device", device, "--methods", method,
                   "--eps", "16", "--steps", str(steps), "--tiers", "fixed"]
            # the classification is not what is measured: classify first, then time the attacks
            subprocess.run(cmd + ["--classify-only"], check=True, capture_output=True, cwd=ROOT)
            started = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            wall = time.perf_counter() - started
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
            rows = (out / "images.csv").read_text().count("\n") - 1
            manifest = json.loads((out / "manifest.json").read_text())
            attacked = len({line.split(",")[0] for line in
                            (out / "images.csv").read_text().splitlines()[1:]})
            result[method] = {"images": attacked, "rows": rows, "wall_s": round(wall, 2),
                              "images_per_s": round(attacked / wall, 3),
                              "device": manifest.get("device")}
    return result


def provider_counts(model_bytes: bytes, feeds: dict, device: str) -> dict:
    """Nodes per execution provider in one profiled run (CPU nodes of a CUDA session show)."""
    import onnxruntime as ort  # noqa: PLC0415

    options = ort.SessionOptions()
    options.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        options.profile_file_prefix = str(Path(tmp) / "profile")
        providers = (["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda"
                     else ["CPUExecutionProvider"])
        session = ort.InferenceSession(model_bytes, options, providers=providers)
        session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    by_node = {}
    for e in events:
        if e.get("cat") == "Node" and "provider" in e.get("args", {}):
            by_node[e["args"].get("op_name", "") + ":" + e["name"].rsplit("_kernel_time", 1)[0]] \
                = e["args"]["provider"]
    counts = Counter(by_node.values())
    on_cpu = Counter(name.split(":")[0] for name, p in by_node.items()
                     if p == "CPUExecutionProvider")
    return {"session_providers": session.get_providers(), "nodes_per_provider": dict(counts),
            "cpu_nodes_by_op": dict(on_cpu.most_common(20))}


def gradient_agreement(model: str, images: int, device: str) -> dict:
    """The same gradient on the CPU and on ``device``: relative L2 and sign agreement."""
    cpu = load_classifier(model, device="cpu")
    _, pixels, _ = load_batch(sorted(SAMPLES.iterdir())[:images], cpu.preprocessing.load)
    x = cpu.preprocessing.to_model(np.stack(pixels))
    target = cpu.probabilities(x).argmin(axis=1)  # least likely, as the seed's attack
    direction = np.ones(len(x), np.float32)
    ref = cpu.gradient(x, target, direction).gradient.astype(np.float64)
    out = {"images": len(x), "cpu_gradient_l2": float(np.linalg.norm(ref))}
    graph, spec = build_gradient_model(cpu.model, (3, cpu.size, cpu.size))
    feeds = {spec.image: x.astype(np.float32), spec.target: target.astype(np.int64),
             spec.direction: direction}
    out["providers_cpu"] = provider_counts(graph.SerializeToString(), feeds, "cpu")
    if device == "cpu":
        return out
    gpu = load_classifier(model, device=device)
    out["device"] = gpu.describe()
    got = gpu.gradient(x, target, direction).gradient.astype(np.float64)
    out["relative_l2"] = float(np.linalg.norm(got - ref) / np.linalg.norm(ref))
    out["sign_agreement"] = float(np.mean(np.sign(got) == np.sign(ref)))
    out["providers_cuda_gradient"] = provider_counts(graph.SerializeToString(), feeds, "cuda")
    out["providers_cuda_forward"] = provider_counts(
        gpu.model.SerializeToString(), {gpu.input_name: x.astype(np.float32)}, "cuda")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="inception_v3")
    ap.add_argument("--cpu-only", action="store_true",
                    help="the CPU half only (no CUDA): a dry run of this script anywhere")
    ap.add_argument("--images", type=int, default=32, help="photos in the CUDA study")
    ap.add_argument("--cpu-images", type=int, default=4, help="photos in the CPU study")
    ap.add_argument("--gradient-images", type=int, default=4)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("gpu_check.json"))
    args = ap.parse_args()
    import onnxruntime as ort  # noqa: PLC0415

    started = time.perf_counter()
    device = "cpu" if args.cpu_only else "cuda"
    report = {"machine": platform.node(), "onnxruntime": ort.__version__,
              "available_providers": ort.get_available_providers(), "model": args.model,
              "cpu_figure_images_per_s": CPU_FIGURE}
    if device == "cuda" and "CUDAExecutionProvider" not in ort.get_available_providers():
        print("this onnxruntime has no CUDA provider: pip install onnxruntime-gpu", file=sys.stderr)
        return 1
    report["gradient"] = gradient_agreement(args.model, args.gradient_images, device)
    print(json.dumps(report["gradient"], indent=1), flush=True)
    report["study_cpu"] = study_throughput(args.model, "cpu", args.cpu_images, args.steps)
    print("cpu study", report["study_cpu"], flush=True)
    if device == "cuda":
        report["study_cuda"] = study_throughput(args.model, "cuda", args.images, args.steps)
        print("cuda study", report["study_cuda"], flush=True)
        report["speedup_vs_cpu_figure"] = {
            m: round(report["study_cuda"][m]["images_per_s"] / CPU_FIGURE[m], 2)
            for m in ("fast", "iterative")}
        fell_back = report["gradient"]["providers_cuda_gradient"]["nodes_per_provider"].get(
            "CPUExecutionProvider", 0)
        print(f"gradient graph nodes on the CPU in the CUDA session: {fell_back}")
    report["wall_s"] = round(time.perf_counter() - started, 1)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"written {args.out} ({report['wall_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
