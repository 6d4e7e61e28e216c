"""Our gradient graph of each tiny classifier family against torch autograd, in one run.

    PYTHONPATH=. /work/torchenv/bin/python benchmarks/family_gradients.py [--repeats 20]

For every fixture of tests/fixtures/families/ (scripts/export_families.py): whether our gradient
graph builds (or the unsupported op), its relative L2 distance and sign agreement against torch's
float64 gradient, and, per family, the time of one gradient (batch 1, one thread) against torch
autograd on the same weights in float32 and against our own forward pass. Torch rebuilds each
family from the seed the fixtures were made with. Writes benchmarks/results/family_gradients.json
and prints the README's table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from advgui.core.autodiff import UnsupportedModel, build_gradient_model  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "families"
OUT = ROOT / "benchmarks" / "results"


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def median_times(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each function, timed in turns (a shared machine drifts)."""
    for fn in fns.values():
        fn()
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-torch", action="store_true", help="accuracy only, no timing")
    args = parser.parse_args()
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    torch = None
    if not args.no_torch:
        import torch
        import export_families
        torch.set_num_threads(1)
    # A shared machine's load skews torch (many small ops) more than one ONNX Runtime call.
    machine = {"cpus": os.cpu_count(), "load_average_1m_before": os.getloadavg()[0],
               "repeats": args.repeats, "threads": 1}
    print(f"{machine['cpus']} cores, load average {machine['load_average_1m_before']:.1f} "
          f"before the run; batch 1, one thread, median of {args.repeats}", flush=True)
    results: dict = {"_made_with": manifest["_made_with"], "_machine": machine,
                     "onnxruntime": ort.__version__}
    for family in sorted(f for f in manifest if not f.startswith("_")):
        ref = np.load(FIXTURES / family / "reference.npz")
        feeds_image = ref["image"]
        row: dict = {"exports": {}}
        timed = None
        for variant in sorted(manifest[family]["exports"]):
            if not manifest[family]["exports"][variant]["ok"]:
                row["exports"][variant] = {"exported": False}
                continue
            model = onnx.load(str(FIXTURES / family / f"{variant}.onnx"))
            try:
                grad_model, spec = build_gradient_model(model)
            except UnsupportedModel as exc:
                row["exports"][variant] = {"exported": True, "builds": False, "why": str(exc)[:200]}
                continue
            grad_session = session(grad_model)
            feeds = {spec.image: feeds_image, spec.target: ref["target"],
                     spec.direction: np.ones(1, np.float32)}
            ours = grad_session.run(None, feeds)[2]
            want = ref["gradient"]
            big = np.abs(want) > 1e-3 * np.abs(want).max()
            row["exports"][variant] = {
                "exported": True, "builds": True,
                "rel_l2": float(np.linalg.norm(ours - want) / np.linalg.norm(want)),
                "sign_agreement": float(np.mean(np.sign(ours[big]) == np.sign(want[big])))}
            if timed is None or variant == "legacy_o17_b1":
                timed = (variant, grad_session, feeds, session(model), spec.image)
        if timed is not None and torch is not None:
            variant, grad_session, feeds, fwd_session, image = timed
            net = export_families.seeded_model(family)
            x = torch.from_numpy(feeds_image)
            target = torch.from_numpy(ref["target"])

            def torch_gradient():
                xg = x.clone().requires_grad_(True)
                torch.nn.functional.cross_entropy(net(xg), target).backward()
                return xg.grad

            fns = {"ours": lambda: grad_session.run(None, feeds),
                   "ours_forward": lambda: fwd_session.run(None, {image: feeds_image}),
                   "torch": torch_gradient}
            t = median_times(fns, args.repeats)
            row["timing"] = {"variant": variant, **{f"{k}_ms": v * 1e3 for k, v in t.items()},
                             "ours_over_torch": t["ours"] / t["torch"],
                             "ours_over_forward": t["ours"] / t["ours_forward"]}
        results[family] = row
        builds = [v for v, e in row["exports"].items() if e.get("builds")]
        print(family, f"{len(builds)}/{len(row['exports'])} build", row.get("timing", ""),
              flush=True)
    machine["load_average_1m_after"] = os.getloadavg()[0]
    OUT.mkdir(exist_ok=True)
    (OUT / "family_gradients.json").write_text(json.dumps(results, indent=1) + "\n")
    print()
    print("| family | exports that build | relative L2 vs torch (worst) | sign agreement (worst) "
          "| time: ours / torch | ours / our forward |")
    print("|---|---|---|---|---|---|")
    for family, row in results.items():
        if family.startswith("_") or family == "onnxruntime":
            continue
        ex = row["exports"]
        built = [e for e in ex.values() if e.get("builds")]
        made = [e for e in ex.values() if e.get("exported")]
        worst = max((e["rel_l2"] for e in built), default=float("nan"))
        signs = min((e["sign_agreement"] for e in built), default=float("nan"))
        t = row.get("timing", {})
        print(f"| {family} | {len(built)} of {len(made)} | {worst:.1e} | {signs:.4f} | "
              f"{t.get('ours_over_torch', float('nan')):.2f}× | "
              f"{t.get('ours_over_forward', float('nan')):.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
