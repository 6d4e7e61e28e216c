"""The Attack base type, what every attack yields per step and returns at the end, and the
8-bit honest re-scoring.

Every attack is a small class with keyword-only hyper-parameters (eps and step sizes in pixel
levels 0-255) and one entry, :meth:`Attack.run`, that the base owns: it resolves the target,
hands a fresh :class:`AttackRun` to the subclass's step logic (:meth:`Attack._perturb`), and
checks on every step that the image stays inside the eps-ball around the clean image and inside
the model's valid range. A run's state lives in that run (its ``AttackRun`` and the local
variables of the subclass's generator), never on the instance, so one instance may be run twice,
or interleaved, with identical results.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Generator, Sequence, TypeVar, final

import numpy as np

from advgui.core.attacks.targets import Target

if TYPE_CHECKING:  # names only: the readers import Target and METHODS without loading onnx
    from advgui.core.model.classifier import Classifier
    from advgui.core.model.preprocess import Preprocessing

Yielded = TypeVar("Yielded")
Returned = TypeVar("Returned")

# How far outside the ball or the range an image may be before the attack is called broken, in
# pixel levels: float32 rounding of x - ball and of the clipping is far below it.
TOLERANCE_LEVELS = 1e-3


@dataclass(frozen=True)
class StepRecord:
    """One step of an attack on a batch: probabilities and loss of the image *after* the step."""

    step: int
    total_steps: int
    probabilities: np.ndarray  # [N, K]
    loss: np.ndarray  # [N] cross-entropy of the target at the current image
    image: np.ndarray  # [N, 3, H, W] model units, current float adversarial


@dataclass(frozen=True)
class AttackResult:
    clean_probabilities: np.ndarray  # [N, K]
    target: np.ndarray  # [N]
    direction: np.ndarray  # [N]
    adversarial: np.ndarray  # [N, 3, H, W] float, model units
    adversarial_probabilities: np.ndarray  # [N, K] of the float image
    pixels: np.ndarray  # [N, H, W, 3] uint8: the image a user saves
    pixel_probabilities: np.ndarray  # [N, K] of the 8-bit image (what reports use)
    steps_taken: int
    first_flip_step: np.ndarray  # [N], -1 if the top-1 never changed during the steps
    problems: list[str]  # per image: "" or why the result is not trustworthy
    # [N] L-infinity (pixel levels) of the image at the first flipped step; inf if none
    first_flip_linf: np.ndarray | None = None
    # [N] for a query-based attack: the query at which the top-1 first changed (-1 if never),
    # and the queries each image used; None for the gradient attacks
    queries_to_flip: np.ndarray | None = None
    queries_used: np.ndarray | None = None


class AttackInvariantError(AssertionError):
    """An attack produced an image outside its eps-ball or the model's valid range: a bug in the
    attack, never in the user's input."""


@dataclass(frozen=True)
class AttackRun:
    """What one run of an attack knows, made by :meth:`Attack.run` and dropped at its end.

    ``x`` is the clean batch [N, 3, H, W] in model units (float32), ``clean`` its probabilities,
    ``target``/``direction`` the resolved target per image (direction -1 towards, +1 away);
    ``valid_lo``/``valid_hi`` the model's range (3x1x1), ``lo``/``hi`` the eps-ball around ``x``
    intersected with that range; ``keys`` one name per image (its file), which seeds anything
    random per image so that an image's run does not depend on its batch.
    """

    classifier: Classifier
    x: np.ndarray
    clean: np.ndarray
    target: np.ndarray
    direction: np.ndarray
    ball: np.ndarray
    valid_lo: np.ndarray
    valid_hi: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    keys: tuple[str, ...]

    @classmethod
    def begin(cls, classifier: Classifier, x: np.ndarray, eps: float, target: Target,
              truth: np.ndarray | None = None, clean: np.ndarray | None = None,
              keys: Sequence[str] | None = None) -> "AttackRun":
        """A run of an attack of radius ``eps`` (pixel levels) on ``x``; the arguments as in
        :meth:`Attack.run`."""
        pre = classifier.preprocessing
        x = np.asarray(x, np.float32)
        clean = classifier.probabilities(x) if clean is None else clean
        tgt, direction = target.resolve(clean, truth)
        valid_lo, valid_hi = pre.bounds()
        ball = pre.pixel_step(eps)
        keys = tuple(str(i) for i in range(len(x))) if keys is None else tuple(keys)
        if len(keys) != len(x):
            raise ValueError(f"{len(keys)} image keys for a batch of {len(x)} images")
        return cls(classifier, x, clean, tgt, direction, ball, valid_lo, valid_hi,
                   np.maximum(x - ball, valid_lo), np.minimum(x + ball, valid_hi), keys)

    @property
    def preprocessing(self) -> Preprocessing:
        return self.classifier.preprocessing


class Attack(ABC):
    """An L-infinity gradient attack on a batch, run through the final :meth:`run`.

    Subclasses set ``name``, ``is_iterative`` and ``uses_random_start``, take their
    hyper-parameters keyword-only in ``__init__`` (``eps`` always; ``alpha`` and ``steps`` when
    iterative), and implement only :meth:`_perturb`.
    """

    name: ClassVar[str]
    is_iterative: ClassVar[bool]  # several steps of size alpha (so alpha/steps can be chosen)
    uses_random_start: ClassVar[bool] = False  # starts from a point drawn per image from its key
    uses_gradient: ClassVar[bool] = True  # False: forward passes only (any model that classifies)

    eps: float  # radius of the L-infinity ball, pixel levels 0-255
    alpha: float | None  # step size in pixel levels; None for a single step of size eps
    steps: int  # gradient steps per run

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # The checks are the point of the entry: a subclass that replaced it would skip them.
        overridden = sorted({"run", "_check"} & set(vars(cls)))
        if overridden:
            raise TypeError(f"{cls.__name__} overrides {', '.join(overridden)}: an attack "
                            "implements _perturb only")

    @property
    def step_size(self) -> float:
        """The size of one step in pixel levels (eps for a single-step attack)."""
        return self.eps if self.alpha is None else self.alpha

    @classmethod
    def hyperparameters(cls) -> tuple[str, ...]:
        """The keyword-only parameters of the constructor, in order."""
        return tuple(p.name for p in inspect.signature(cls.__init__).parameters.values()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY)

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyperparameters())
        return f"{type(self).__name__}({values})"

    @final
    def run(self, classifier: Classifier, x: np.ndarray, target: Target,
            truth: np.ndarray | None = None, clean: np.ndarray | None = None, *,
            keys: Sequence[str] | None = None) -> Generator[StepRecord, None, AttackResult]:
        """Attack the batch ``x`` [N, 3, H, W] (model units): yield a StepRecord after every
        step, return the AttackResult. ``truth`` [N] is needed by the 'true' target; ``clean``
        (the probabilities of ``x``) saves a forward run if known; ``keys`` names each image
        (its file) for attacks with a random start (default: its index in the batch).

        Raises AttackInvariantError if a step leaves the eps-ball or the valid range.
        """
        run = AttackRun.begin(classifier, x, self.eps, target, truth, clean, keys)
        tolerance = classifier.preprocessing.pixel_step(TOLERANCE_LEVELS)
        # The ball intersected with the range, widened by the tolerance: one test for both.
        floor, ceiling = run.lo - tolerance, run.hi + tolerance
        steps = self._perturb(run)
        while True:
            try:
                record = next(steps)
            except StopIteration as done:
                result: AttackResult = done.value
                break
            self._check(run, record.image, floor, ceiling, tolerance, f"step {record.step}")
            yield record
        self._check(run, result.adversarial, floor, ceiling, tolerance, "result")
        return result

    @abstractmethod
    def _perturb(self, run: AttackRun) -> Generator[StepRecord, None, AttackResult]:
        """The attack's own steps: yield a StepRecord per step, return the AttackResult."""

    @final
    def _check(self, run: AttackRun, image: np.ndarray, floor: np.ndarray, ceiling: np.ndarray,
               tolerance: np.ndarray, when: str) -> None:
        """Raise if ``image`` leaves the ball or the range by more than ``tolerance`` (model
        units): outside ``floor``-``ceiling``, the ball and range intersected and widened (two
        comparisons a step; which one was left is worked out only on failure). A non-finite
        value is not checked: it comes from a non-finite gradient, which the result reports per
        image as a problem."""
        if not (np.any(image < floor) or np.any(image > ceiling)):
            return
        outside_ball = np.abs(image - run.x) > run.ball + tolerance
        outside_range = (image < run.valid_lo - tolerance) | (image > run.valid_hi + tolerance)
        for what, bad in (("eps-ball", outside_ball), ("valid range", outside_range)):
            if bad.any():
                worst = float(np.nanmax(np.abs(run.preprocessing.to_pixels(image)
                                               - run.preprocessing.to_pixels(run.x))))
                images = np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1)).tolist()
                raise AttackInvariantError(
                    f"{self!r} left the {what} at {when} (images {images}; largest change "
                    f"{worst:.4g} levels, eps {self.eps:g}): a bug in the attack")


def run_to_end(steps: Generator[Yielded, Any, Returned],
               on_step: Callable[[Yielded], None] | None = None) -> Returned:
    """Drive an attack's run (``Attack.run(...)``), or any generator of progress records such as
    ``Study.run``, to its end and return its result, calling ``on_step`` with each record (a
    progress bar's update). The one place outside the window where such generators are pumped;
    the window drives them through its workers."""
    while True:
        try:
            record = next(steps)
        except StopIteration as done:
            return done.value
        if on_step is not None:
            on_step(record)


def finish(classifier: Classifier, clean: np.ndarray, adversarial: np.ndarray,
           target: np.ndarray, direction: np.ndarray, steps: int, first_flip: np.ndarray,
           problems: list[str], adversarial_probabilities: np.ndarray | None = None,
           first_flip_linf: np.ndarray | None = None) -> AttackResult:
    """Score the uint8 rounding of the result (and the float result, unless its scores are
    given), in one batch."""
    pre = classifier.preprocessing
    pixels = pre.to_uint8(adversarial)
    rounded = pre.to_model(pixels)
    if adversarial_probabilities is None:
        probs = classifier.probabilities(np.concatenate([adversarial, rounded]))
        adversarial_probabilities, pixel_probabilities = np.split(probs, 2)
    else:
        pixel_probabilities = classifier.probabilities(rounded)
    return AttackResult(clean, target, direction, adversarial, adversarial_probabilities, pixels,
                        pixel_probabilities, steps, first_flip, problems, first_flip_linf)


def linf_levels(classifier: Classifier, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[N] largest per-pixel difference of two model-unit batches, in pixel levels."""
    pre = classifier.preprocessing
    d = np.abs(pre.to_pixels(a) - pre.to_pixels(b))
    return d.reshape(len(d), -1).max(axis=1)


def gradient_problem(grad: np.ndarray) -> list[str]:
    """Per image, why its gradient cannot drive an attack ("" when fine)."""
    flat = grad.reshape(len(grad), -1)
    out = []
    for row in flat:
        if not np.all(np.isfinite(row)):
            out.append("gradient is NaN or infinite")
        elif not np.any(row):
            out.append("gradient is exactly zero (saturated model)")
        else:
            out.append("")
    return out


def clip_to(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, lo), hi)
