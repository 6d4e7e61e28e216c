"""How responsive the window stays while the Explain tab follows an attack on InceptionV3.

    QT_QPA_PLATFORM=offscreen python benchmarks/explain_latency.py [IMAGE] [--eps 4]

With the Explain tab shown, runs an iterative attack, waits until every step's divergence and the
last step's maps are on screen, then scrubs playback to each step and waits for its maps. Prints
the longest gap between ticks of a 5 ms timer on the GUI thread (an event-loop stall) and the
longest time the GUI thread spent in the panel's own slots (putting the arrays on screen).
Writes benchmarks/results/explain_latency.json.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

from window_probe import Ticks, Window

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("image", nargs="?", type=Path)
    ap.add_argument("--eps", type=float, default=4)
    ap.add_argument("--model", default="inception_v3")
    ap.add_argument("--baseline", action="store_true",
                    help="the Probabilities tab instead: the same attack without explanations")
    args = ap.parse_args()
    image = args.image or Path(sorted(glob.glob(str(ROOT / "advgui/samples/images/*")))[0])
    probe = Window(args.model, image, size=(1024, 768))
    w = probe.w
    slot_ms: list[float] = []
    panel = w.explain
    for name in ("refresh", "_answered"):
        original = getattr(panel, name)

        def timed(*a, _original=original):
            start = time.perf_counter()
            try:
                return _original(*a)
            finally:
                slot_ms.append(1000 * (time.perf_counter() - start))
        setattr(panel, name, timed)
    # The state keeps the bound method it was given: subscribe the timed one instead.
    for event in ("attack", "step", "cursor", "image", "model"):
        listeners = w.state._listeners[event]
        listeners[:] = [panel.refresh if getattr(f, "__func__", None) is type(panel).refresh
                        else f for f in listeners]
    w.tabs.setCurrentWidget(w.charts if args.baseline else panel)
    ticks = Ticks()
    ticks.start()
    started = time.perf_counter()
    attack_s = probe.attack(args.eps)

    def settled() -> bool:
        if args.baseline:
            return True
        record = w.state.shown
        return (panel._job is not None and panel._job.done and record is not None
                and panel._asked(record) is None)

    while not settled():
        probe.spin(50)
    explained_s = time.perf_counter() - started
    steps = len(w.state.shown.steps)
    for k in range(steps + 1):
        w.state.show_step(k)
        while not settled():
            probe.spin(20)
    ticks.stop()
    result = {"tab": "Probabilities (baseline)" if args.baseline else "Explain",
              "device": w.info.device, "steps": steps, "attack_seconds": round(attack_s, 1),
              "all_steps_explained_seconds": round(explained_s, 1), **ticks.summary(),
              "longest_stalls_ms_at_s": ticks.longest(5, started),
              "max_explain_slot_ms": round(max(slot_ms or [0]), 1),
              "explain_slot_calls": len(slot_ms)}
    print(json.dumps(result, indent=1))
    name = "explain_latency_baseline.json" if args.baseline else "explain_latency.json"
    (ROOT / "benchmarks/results" / name).write_text(json.dumps(result, indent=1) + "\n")
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
