"""A plain-text progress bar with rate and ETA, for the CLI and build scripts (stderr)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, total: int, label: str = "", stream: TextIO | None = None,
                 done: int = 0, min_interval: float = 0.5) -> None:
        self.total, self.label, self.done = total, label, done
        self.stream = stream or sys.stderr
        self._start = time.monotonic()
        self._start_done = done
        self._last = 0.0
        self._min_interval = min_interval

    def update(self, n: int = 1, note: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last < self._min_interval and self.done < self.total:
            return
        self._last = now
        self.stream.write("\r" + self.line(now, note))
        self.stream.flush()

    def line(self, now: float | None = None, note: str = "") -> str:
        now = time.monotonic() if now is None else now
        elapsed = max(now - self._start, 1e-9)
        rate = (self.done - self._start_done) / elapsed
        frac = self.done / self.total if self.total else 1.0
        width = 28
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta = format_duration(left) if left == left else "?"
        text = f"{self.label} [{bar}] {self.done}/{self.total} {rate:.2f}/s ETA {eta}"
        return text + (f" {note}" if note else "")

    def close(self) -> None:
        self.stream.write("\r" + self.line() + "\n")
        self.stream.flush()


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}" if h else f"{m:d}:{s:02d}"
