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
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("image", nargs="?", type=Path)
    ap.add_argument("--eps", type=float, default=16)
    ap.add_argument("--model", default="inception_v3")
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])  # noqa: F841 (must stay referenced while the window lives)
    from advgui.ui.main_window import MainWindow
    from advgui.zoo.sources import Shared, default_shared

    image = args.image or Shared(default_shared()).nips17()[0][0]
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(args.model, "auto", settings=settings)
    w.show()
    loop = QEventLoop()

    def spin(ms: int) -> None:
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    while w.info is None:
        spin(50)
    w.open_paths([str(image)])
    while not w.verdicts:
        spin(50)
    results = {}
    for run in ("first attack", "second attack"):
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        latencies: list[float] = []

        def record(step, shown, latencies=latencies) -> None:
            latencies.append(shown - step.emitted_at)

        w.stepShown.connect(record)
        w.attack_panel.eps.setValue(args.eps)
        timer.start()
        started = time.perf_counter()
        w.attack_panel.run.click()
        while w.attacking:
            spin(20)
        elapsed = time.perf_counter() - started
        timer.stop()
        w.stepShown.disconnect(record)
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        results[run] = {
            "steps": len(latencies), "attack_seconds": round(elapsed, 2),
            "max_event_loop_stall_ms": round(1000 * max(gaps), 1),
            "p99_tick_gap_ms": round(1000 * sorted(gaps)[int(0.99 * len(gaps))], 1),
            "max_step_to_chart_ms": round(1000 * max(latencies), 2),
            "median_step_to_chart_ms": round(1000 * statistics.median(latencies), 2),
        }
    result = {"device": w.info.device, **results}
    print(json.dumps(result, indent=1))
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
