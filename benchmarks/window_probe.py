"""What the window benchmarks share: a window on its own settings with one photo classified, an
event-loop spinner, and a 5 ms timer on the GUI thread whose longest gap is an event-loop stall
(the user's "the window froze"), measured the same way in every benchmark."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication


class Window:
    """A MainWindow on a fresh settings file, shown, its model loaded and ``image`` classified
    and selected."""

    def __init__(self, model: str, image: Path, size: tuple[int, int] | None = None) -> None:
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        from advgui.ui.main_window import MainWindow  # noqa: PLC0415 (after the QApplication)

        settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
        self.w = MainWindow(model, "auto", settings=settings)
        if size:
            self.w.resize(*size)
        self.w.show()
        self._loop = QEventLoop()
        while self.w.info is None:
            self.spin(50)
        self.w.open_paths([str(image)])
        while not self.w.verdicts:
            self.spin(50)
        self.w.select_image(str(image))  # what the attack panel attacks

    def spin(self, ms: int) -> None:
        """Runs the event loop for ms milliseconds (the window keeps working meanwhile)."""
        QTimer.singleShot(ms, self._loop.quit)
        self._loop.exec()

    def attack(self, eps: float) -> float:
        """Runs the attack panel's attack at eps to its end; its seconds."""
        self.w.attack_panel.eps.setValue(eps)
        started = time.perf_counter()
        self.w.attack_panel.run.click()
        while self.w.attacking:
            self.spin(20)
        return time.perf_counter() - started


class Ticks:
    """A 5 ms timer on the GUI thread; the gaps between its ticks are how long the loop stalled."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(lambda: self.times.append(time.perf_counter()))

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def gaps(self) -> list[tuple[float, float]]:
        """(gap in s, when it started) between consecutive ticks."""
        return [(b - a, a) for a, b in zip(self.times, self.times[1:])]

    def summary(self) -> dict:
        gaps = sorted(g for g, _ in self.gaps())
        if not gaps:  # over before a second tick (a tiny model): nothing to measure
            return {"max_event_loop_stall_ms": None, "p99_tick_gap_ms": None}
        return {"max_event_loop_stall_ms": round(1000 * gaps[-1], 1),
                "p99_tick_gap_ms": round(1000 * gaps[int(0.99 * len(gaps))], 1)}

    def longest(self, n: int, since: float) -> list[list[float]]:
        """The n longest stalls as [ms, seconds after since]."""
        worst = sorted(self.gaps(), reverse=True)[:n]
        return [[round(1000 * g, 1), round(t - since, 2)] for g, t in worst]
