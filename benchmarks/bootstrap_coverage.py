"""How often the 95 % percentile-bootstrap interval of a mean (advgui.core.analysis.stats
.mean_interval, as divergence_by_tier.csv uses it) holds the true mean, by sample size.

    python benchmarks/bootstrap_coverage.py [--trials 1000] [--rounds 2000]

Two skewed measures like the divergences: lognormal (sigma 0.5), like a relative L2, and
1 - Beta(1, 20), a cosine just under its bound 1. For each n, ``--trials`` samples are drawn
(seed 1), each sample's interval computed (``--rounds`` resamples, seed 0), and the share that
holds the distribution's mean counted; that share's own 95 % Wilson interval is given beside it.
Writes benchmarks/results/bootstrap_coverage.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from advgui.core.analysis.stats import mean_interval, wilson

ROOT = Path(__file__).resolve().parents[1]
SIZES = (2, 3, 5, 10, 30, 100)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    measures = {"lognormal(0, 0.5)": (lambda n: rng.lognormal(0.0, 0.5, n), float(np.exp(0.125))),
                "1 - beta(1, 20)": (lambda n: 1.0 - rng.beta(1.0, 20.0, n), 1.0 - 1.0 / 21.0)}
    out = {"trials": args.trials, "rounds": args.rounds, "coverage": {}}
    for name, (draw, true) in measures.items():
        out["coverage"][name] = {}
        for n in SIZES:
            held = 0
            for _ in range(args.trials):
                low, high = mean_interval(draw(n), args.rounds, 0)
                held += bool(low <= true <= high)
            lo, hi = wilson(held, args.trials)
            out["coverage"][name][str(n)] = {"coverage": held / args.trials,
                                             "wilson_low": round(lo, 4),
                                             "wilson_high": round(hi, 4)}
            print(f"{name:18s} n = {n:3d}: {held / args.trials:.3f} [{lo:.3f}, {hi:.3f}]",
                  flush=True)
    path = ROOT / "benchmarks" / "results" / "bootstrap_coverage.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
