"""Progress of the CLI and the build scripts on stderr: a tqdm bar on a terminal; in a log file
(Slurm, Ray, CI) a plain line now and then, never a carriage return."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm
from advgui.core.study.cost_model import format_duration

TERMINAL_INTERVAL = 0.5  # seconds between redraws of a terminal's bar
LOG_INTERVAL = 30.0  # seconds between lines in a log: a day-long study writes about 3,000


class ProgressBar:
    """`total` units of work under a label (the phase name); `done` of them were done before
    (a resumed study), so the rate counts only the work of this run, from `started` (a
    time.monotonic(); default now: when the work began)."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None,
                 done: int = 0, min_interval: float | None = None,
                 started: float | None = None) -> None:
        self.total, self.label, self.done = total, label, done
        self.stream = stream or sys.stderr
        self._start = time.monotonic() if started is None else started
        self._start_done = done
        self._updated = self._start  # the last work's time: a phase's bar may close later
        self._note = ""
        isatty = getattr(self.stream, "isatty", None)
        self._tqdm = None
        if isatty is not None and isatty():
            self._tqdm = tqdm(total=total, initial=done, desc=label, file=self.stream,
                              mininterval=min_interval or TERMINAL_INTERVAL, dynamic_ncols=True,
                              smoothing=0, leave=True)
            if started is not None:  # tqdm's own clock, moved back to when the work began
                self._tqdm.start_t -= time.monotonic() - started
        else:
            self._interval = LOG_INTERVAL if min_interval is None else min_interval
            self._last = time.monotonic()
            self._write()

    def update(self, n: int = 1, note: str = "") -> None:
        self.done += n
        self._note = note
        self._updated = time.monotonic()
        if self._tqdm is not None:
            if note:
                self._tqdm.set_postfix_str(note, refresh=False)
            self._tqdm.update(n)
            return
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self._write(now)

    def line(self, now: float | None = None, note: str | None = None,
             final: bool = False) -> str:
        """One plain line: phase 120/3000 (4 %) 2.10/s, ETA 0:23:10 [note]; before any work of
        this run, no rate (none is known yet); the ``final`` line of a phase, its average rate
        over its whole time instead of an ETA: phase 3000/3000 (100 %) 2.10/s in 0:23:48."""
        now = time.monotonic() if now is None else now
        elapsed = max(now - self._start, 1e-9)
        work = self.done - self._start_done
        percent = f" ({100 * self.done // self.total} %)" if self.total else ""
        speed = ""
        if work > 0:
            speed = f" {work / elapsed:.2f}/s"
            speed += (f" in {format_duration(elapsed)}" if final else
                      f", ETA {format_duration((self.total - self.done) * elapsed / work)}")
        elif final:
            speed = f" in {format_duration(elapsed)}"
        note = self._note if note is None else note
        return f"{self.label} {self.done}/{self.total}{percent}{speed}" + (f" {note}" if note else "")

    def _write(self, now: float | None = None, final: bool = False) -> None:
        self.stream.write(self.line(now, final=final) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            self._write(self._updated, final=True)


