"""How responsive the window stays while an iterative attack runs on the real InceptionV3.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_latency.py [IMAGE] [--eps 16]

Prints the longest gap between ticks of a 5 ms timer on the GUI thread (an event-loop stall),
and for every step the delay from the worker sending its probabilities to the chart showing them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from window_probe import Ticks, Window


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("image", nargs="?", type=Path)
    ap.add_argument("--eps", type=float, default=16)
    ap.add_argument("--model", default="inception_v3")
    args = ap.parse_args()
    from advgui.zoo.sources import Shared, default_shared  # noqa: PLC0415

    probe = Window(args.model, args.image or Shared(default_shared()).nips17()[0][0])
    w = probe.w
    results = {}
    for run in ("first attack", "second attack"):
        ticks = Ticks()
        latencies: list[float] = []

        def record(step, shown, latencies=latencies) -> None:
            latencies.append(shown - step.emitted_at)

        w.stepShown.connect(record)
        ticks.start()
        elapsed = probe.attack(args.eps)
        ticks.stop()
        w.stepShown.disconnect(record)
        results[run] = {
            "steps": len(latencies), "attack_seconds": round(elapsed, 2), **ticks.summary(),
            "max_step_to_chart_ms": round(1000 * max(latencies), 2) if latencies else None,
            "median_step_to_chart_ms":
                round(1000 * statistics.median(latencies), 2) if latencies else None,
        }
    result = {"device": w.info.device, **results}
    print(json.dumps(result, indent=1))
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
