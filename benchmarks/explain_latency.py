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
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("image", nargs="?", type=Path)
    ap.add_argument("--eps", type=float, default=4)
    ap.add_argument("--model", default="inception_v3")
    ap.add_argument("--baseline", action="store_true",
                    help="the Probabilities tab instead: the same attack without explanations")
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])  # noqa: F841 (must stay referenced while the window lives)
    from advgui.ui.main_window import MainWindow

    image = args.image or Path(sorted(glob.glob(str(ROOT / "advgui/samples/images/*")))[0])
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(args.model, "auto", settings=settings)
    w.resize(1024, 768)
    w.show()
    loop = QEventLoop()

    def spin(ms: int) -> None:
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

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
    while w.info is None:
        spin(50)
    w.open_paths([str(image)])
    while not w.verdicts:
        spin(50)
    w.select_image(str(image))
    w.tabs.setCurrentWidget(w.charts if args.baseline else panel)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    w.attack_panel.eps.setValue(args.eps)
    timer.start()
    started = time.perf_counter()
    w.attack_panel.run.click()
    while w.attacking:
        spin(20)
    attack_s = time.perf_counter() - started

    def settled() -> bool:
        if args.baseline:
            return True
        record = w.state.shown
        return (panel._job is not None and panel._job.done and record is not None
                and panel._asked(record) is None)

    while not settled():
        spin(50)
    explained_s = time.perf_counter() - started
    steps = len(w.state.shown.steps)
    for k in range(steps + 1):
        w.state.show_step(k)
        while not settled():
            spin(20)
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    stalls = sorted(((b - a, a - started) for a, b in zip(ticks, ticks[1:])), reverse=True)[:5]
    result = {"tab": "Probabilities (baseline)" if args.baseline else "Explain",
              "device": w.info.device, "steps": steps, "attack_seconds": round(attack_s, 1),
              "all_steps_explained_seconds": round(explained_s, 1),
              "max_event_loop_stall_ms": round(1000 * max(gaps), 1),
              "p99_tick_gap_ms": round(1000 * sorted(gaps)[int(0.99 * len(gaps))], 1),
              "longest_stalls_ms_at_s": [[round(1000 * g, 1), round(t, 2)] for g, t in stalls],
              "max_explain_slot_ms": round(max(slot_ms or [0]), 1),
              "explain_slot_calls": len(slot_ms)}
    print(json.dumps(result, indent=1))
    name = "explain_latency_baseline.json" if args.baseline else "explain_latency.json"
    (ROOT / "benchmarks/results" / name).write_text(json.dumps(result, indent=1) + "\n")
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
