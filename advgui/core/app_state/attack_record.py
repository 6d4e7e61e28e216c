"""One attack as the window knows it: what was asked, where it started, every recorded step, and
its 8-bit result. Qt-free, so every view, save and export reads the same record."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from advgui.core.attacks.square import SQUARE_QUERIES, query_record_every

from advgui.core.app_state.perturbation import PerturbationView

# Each step's 8-bit image is kept for playback; a 299 x 299 image is 268 KB, so an attack of
# thousands of steps keeps about this many evenly spaced ones (and always the last).
MAX_STEP_IMAGES = 300


@dataclass(frozen=True)
class AttackRequest:
    path: str
    method: str  # "fast" | "iterative"
    target: str  # Target.parse syntax
    eps: float
    alpha: float | None = None
    steps: int | None = None
    truth: int = -1
    queries: int | None = None  # Square Attack's budget (None: its default)


@dataclass(frozen=True)
class AttackStart:
    request: AttackRequest
    clean_pixels: np.ndarray
    clean_probabilities: np.ndarray
    target: int
    towards: bool
    total_steps: int


@dataclass(frozen=True)
class AttackStep:
    step: int
    total: int
    probabilities: np.ndarray
    loss: float
    seconds: float
    emitted_at: float = 0.0  # time.perf_counter() when the worker sent it (latency checks)
    pixels: np.ndarray | None = None  # uint8 HxWx3 of the image at this step, when kept
    linf: int = 0  # levels changed so far (L-infinity of the 8-bit image against the clean one)


def keeps_pixels(step: int, total: int) -> bool:
    """Whether a step's image is kept for playback (all of them up to MAX_STEP_IMAGES)."""
    every = -(-total // MAX_STEP_IMAGES)
    return step == total or step % every == 0


@dataclass(frozen=True)
class AttackOutcome:
    request: AttackRequest
    clean_pixels: np.ndarray
    adversarial_pixels: np.ndarray
    clean_probabilities: np.ndarray
    adversarial_probabilities: np.ndarray  # of the 8-bit image
    target: int
    first_flip_step: int
    perturbation: PerturbationView
    seconds_per_step: float
    problem: str = ""


@dataclass
class AttackRecord:
    """An attack from its start: steps are appended as they arrive, the outcome set at the end."""

    start: AttackStart
    steps: list[AttackStep] = field(default_factory=list)
    outcome: AttackOutcome | None = None

    @property
    def path(self) -> str:
        return self.start.request.path

    @property
    def total(self) -> int:
        return self.start.total_steps

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def clamp(self, index: int | None) -> int:
        """A playback position: 0 is the clean image, k the k-th recorded step; None the latest."""
        last = len(self.steps)
        return last if index is None else max(0, min(int(index), last))

    def probabilities_at(self, index: int | None) -> np.ndarray:
        k = self.clamp(index)
        if k == 0:
            return self.start.clean_probabilities
        if k == len(self.steps) and self.outcome is not None:
            return self.outcome.adversarial_probabilities  # the last step as saved: 8-bit
        return self.steps[k - 1].probabilities

    def pixels_at(self, index: int | None) -> np.ndarray:
        """The image at a position: the nearest kept step image at or before it."""
        k = self.clamp(index)
        if k == len(self.steps) and self.outcome is not None:
            return self.outcome.adversarial_pixels
        for step in reversed(self.steps[:k]):
            if step.pixels is not None:
                return step.pixels
        return self.start.clean_pixels

    def linf_at(self, index: int | None) -> int:
        k = self.clamp(index)
        return self.steps[k - 1].linf if k else 0

    def trajectory(self, index: int | None, first: int, second: int) -> tuple[list, list, list]:
        """Steps 0..index and the probabilities of two classes along them."""
        k = self.clamp(index)
        probs = [self.start.clean_probabilities] + [s.probabilities for s in self.steps[:k]]
        return (list(range(k + 1)), [float(p[first]) for p in probs],
                [float(p[second]) for p in probs])

    def leaders(self, index: int | None) -> list[int]:
        """The classes that led at some step up to ``index``: the winner of an inverse attack is
        one of them, so the charts plot it from the step it takes over."""
        k = self.clamp(index)
        seen: list[int] = []
        for p in [s.probabilities for s in self.steps[:k]] + (
                [self.outcome.adversarial_probabilities] if self.outcome and k == len(self.steps) else []):
            top = int(np.argmax(p))
            if top not in seen:
                seen.append(top)
        return seen


def caption(record: AttackRecord, index: int | None, names: tuple[str, ...]) -> str:
    """One line of what the shown step is doing, for a room to follow."""
    k = record.clamp(index)
    clean_top = int(np.argmax(record.start.clean_probabilities))

    def name(i: int) -> str:
        return f"'{names[i]}'" if 0 <= i < len(names) else f"class {i}"

    budget = _query_budget(record)
    if k == 0:
        to_go = (f"A budget of {budget:,} queries" if budget else
                 f"{record.total} step{'s' if record.total != 1 else ''} to go")
        return (f"Clean image: the model says {name(clean_top)} "
                f"({100 * record.start.clean_probabilities[clean_top]:.1f} %). {to_go}.")
    probs = record.probabilities_at(k)
    now = int(np.argmax(probs))
    target = record.start.target
    if record.start.towards:
        push = f"pushing {name(clean_top)} down, {name(target)} up" if target != clean_top else \
            f"pushing {name(target)} up"
    else:
        push = f"pushing {name(target)} down"
    levels = record.linf_at(k)
    where = f"now {name(now)} at {100 * probs[now]:.1f} %"
    if budget:  # Square Attack: its steps are records every few queries, not gradient steps
        used = min(k * query_record_every(budget), budget)
        return (f"Query {used:,} of {budget:,} (random squares, no gradient): {push}; "
                f"{levels} of 255 levels per pixel; {where}.")
    return (f"Step {k} of {record.total}: {push}; {levels} of 255 levels per pixel so far; "
            f"{where}.")


def _query_budget(record: AttackRecord) -> int:
    """Square Attack's query budget (0 for the gradient methods, whose steps are steps)."""
    request = record.start.request
    if request.method != "square":
        return 0
    return request.queries or SQUARE_QUERIES
