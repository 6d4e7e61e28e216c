"""The batch dialog's progress line: which phase the study is in, what it is doing, how long it
has run and about how long it has left, from its first progress event on.

The time left is the cost model's count of the study's work (core/study/cost_model.py: forward
and gradient runs by phase), priced at the rate this run measures: the classification's images
per second prices a forward run from the first batch on; once attacks have finished, their own
rate replaces that estimate. Between events the line counts down each second (the dialog's
timer calls `line` again), so a long first attack batch never looks like a stalled bar. A resumed
study starts from the rate of its earlier runs (`earlier_rate`, read from its manifest).
"""

from __future__ import annotations

from pathlib import Path

from advgui.core.records.config import StudyConfig, StudyProgress
from advgui.core.study.cost_model import format_duration, study_work

# A gradient run costs about three forward runs (a forward pass and a backward pass of about
# twice its work): the price of the attacks before any of them has been timed.
GRADIENT_COST = 3.0

PHASE_NAMES = {"classify": "Classifying the folder", "attack": "Attacking",
               "features": "Recording features (for the projection)",
               "starting": "Starting (loading, checking the folder)"}


class StudyClock:
    """Turns a study's progress events into one line: phase, work done, elapsed, time left."""

    def __init__(self, config: StudyConfig, now: float, earlier_rate: float | None = None) -> None:
        """earlier_rate: attack rows per second of the folder's earlier runs (a resumed study
        classifies nothing, so this prices its attacks until this run has timed some)."""
        self.config = config
        self._earlier_rate = earlier_rate
        self.started = now
        self.phase = "starting"
        self.done = self.total = 0
        self.message = ""
        self._phase_started = now
        self._new = 0  # of done, what this run did in this phase
        self._forward_rate: float | None = None  # forward runs per second, from classification
        self._left_at: tuple[float, float] | None = None  # (seconds left, when estimated)

    def update(self, ev: StudyProgress, now: float) -> None:
        if ev.phase != self.phase:
            self.phase, self._phase_started = ev.phase, now
        self.done, self.total, self.message, self._new = ev.done, ev.total, ev.message, ev.new
        elapsed = max(now - self._phase_started, 1e-6)
        if ev.phase == "classify" and ev.new:
            self._forward_rate = ev.new / elapsed
        left = self._seconds_left(elapsed)
        self._left_at = None if left is None else (left, now)

    def _attack_units(self, images: int) -> float:
        """Forward-run equivalents of every attack on `images` sampled images."""
        steps = [(m, e, a.steps) for m, e, a in self.config.attacks()]
        work = study_work(0, images, steps, len(self.config.targets),
                          len(self.config.transfer_to))
        return sum(w.forward + GRADIENT_COST * w.gradient for k, w in work.items()
                   if k != "classify")

    def _sampled(self, images: int) -> int:
        per_tier = self.config.per_tier
        return images if per_tier is None else min(images, 3 * per_tier)

    def _seconds_left(self, elapsed: float) -> float | None:
        if self.phase == "classify":
            if not self._forward_rate:
                return None
            rest = self.total - self.done
            return (rest + self._attack_units(self._sampled(self.total))) / self._forward_rate
        if self.phase == "attack":
            if self._new:  # the attacks' own rate, once some have finished
                return (self.total - self.done) * elapsed / self._new
            if self._earlier_rate and not self._forward_rate:  # a resume: the earlier runs' rate
                return (self.total - self.done) / self._earlier_rate
            if self._forward_rate and self.total:  # priced by the classification's rate
                jobs = max(len(self.config.attacks()) * len(self.config.targets), 1)
                units = self._attack_units(self.total // jobs or 1)
                return units * (self.total - self.done) / self.total / self._forward_rate
        return None

    def short(self, now: float) -> str:
        """The status bar's few words: 'attack 24/120 · 2:10 left'."""
        count = f" {self.done:,}/{self.total:,}" if self.total else ""
        left = self._left(now).replace("about ", "")
        return f"{self.phase}{count}" + (f" · {left}" if left else "")

    def _left(self, now: float) -> str:
        if self._left_at is None:
            return ""
        left, when = self._left_at
        remaining = left - (now - when)
        if remaining >= 1:
            return f"about {format_duration(remaining)} left"
        return "under a second left" if left < 1 else "finishing the current batch…"

    def line(self, now: float) -> str:
        """'Attacking (iterative least-likely eps 8): 24/120 · 1:02 elapsed · about 2:10 left'."""
        name = PHASE_NAMES.get(self.phase, self.phase.capitalize())
        what = f" ({self.message})" if self.message else ""
        count = f": {self.done:,}/{self.total:,}" if self.total else ""
        parts = [f"{name}{what}{count}", f"{format_duration(now - self.started)} elapsed"]
        if self._left_at is None:
            parts.append("estimating time left…" if self.phase in ("starting", "classify")
                         else "time left: after the first batch")
        else:
            parts.append(self._left(now))
        return " · ".join(parts)


def earlier_rate(out: Path) -> float | None:
    """Attack rows per second of the study's earlier runs (its manifest), or None."""
    from advgui.core.study.reports import read_manifest  # noqa: PLC0415

    manifest = read_manifest(out)
    try:
        rows, seconds = int(manifest.get("rows", 0)), float(manifest.get("seconds_all_runs", 0))
    except (TypeError, ValueError):
        return None
    return rows / seconds if rows > 0 and seconds > 0 else None
