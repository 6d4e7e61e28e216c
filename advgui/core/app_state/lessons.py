"""The Demo menu's prepared lessons, as data: which bundled photo, which settings of the attack
panel (one or two presses of Run), what is checked afterwards, and the sentence a teacher reads
aloud, filled in with what this run measured (never with numbers written in advance).

The photos were chosen by measuring each lesson on the 35 bundled photos with the shipped
InceptionV3 (the numbers are in docs/guide.md, "Demo lessons"). Qt-free: the window's lesson
runner drives the panel from these rows exactly as a user's clicks would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from advgui.core.model.classifier import Classifier
from advgui.core.model.transforms import Transform

# Every lesson was measured with this model; the runner switches to it first.
LESSON_MODEL = "inception_v3"
SECOND_MODEL = "efficientnet_lite0"
JPEG = Transform("jpeg", 75)


@dataclass(frozen=True)
class PanelSettings:
    """One press of Run: the attack panel's method, target, ε and, when not the paper's
    defaults, step size and steps (None: the "Paper defaults" box stays checked)."""

    method: str
    target: str
    eps: float
    alpha: float | None = None
    steps: int | None = None

    def describe(self) -> str:
        kind = {"fast": "one big step (fast gradient sign)",
                "iterative": "many small steps (iterative gradient sign)"}.get(self.method,
                                                                              self.method)
        return f"{kind}, ε {self.eps:g} of 255"


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str  # the menu entry and the note's heading
    photo: str  # a file of advgui/samples/images
    runs: tuple[PanelSettings, ...]
    check: str = ""  # after the last run: "" | "jpeg" | "second-model"

    @property
    def name(self) -> str:
        """The title's first part ("Fast vs iterative"), the note's heading."""
        return self.title.split(":")[0]


@dataclass(frozen=True)
class Scored:
    """A class and its probability, as the window showed it."""

    name: str
    probability: float

    def __str__(self) -> str:
        return f"'{self.name}' at {100 * self.probability:.1f}\u00a0%"  # never "99.9" / "%"

    @classmethod
    def top(cls, probabilities: np.ndarray, names: tuple[str, ...]) -> "Scored":
        k = int(np.argmax(probabilities))
        return cls(names[k] if k < len(names) else f"class {k}", float(probabilities[k]))


@dataclass
class LessonResult:
    """What a lesson's runs showed: the clean verdict, each run's 8-bit adversarial verdict,
    the target of the last run, and the check's verdict (JPEG'd adversarial or second model)."""

    clean: Scored
    runs: list[Scored] = field(default_factory=list)
    target: Scored | None = None  # the last run's target class, at its clean probability
    checked: Scored | None = None
    checked_clean: Scored | None = None  # the second model's verdict on the clean photo
    second_model: str = ""
    model: str = LESSON_MODEL


LESSONS: tuple[Lesson, ...] = (
    # Measured: fast 'cash machine' 99.8 % -> still 'cash machine' 92.8 %; iterative (5 steps)
    # -> 'web site' 94.0 %. Same photo, same ε, same target.
    Lesson("fast-vs-iterative", "Fast vs iterative: one big step or many small ones",
           "229fbe790098d2e5.jpg",
           (PanelSettings("fast", "inverse", 4.0), PanelSettings("iterative", "inverse", 4.0))),
    # Measured: 'basketball' 98.9 % -> 'comic book' 100.0 % in 5 steps of 1 level.
    Lesson("inverse", "Inverse: push away from what the model sees", "1cc2caf8e5db27c3.jpg",
           (PanelSettings("iterative", "inverse", 4.0),)),
    # Measured: 'soccer ball' 94.6 % -> 'hand blower' 100.0 % (the least likely class).
    Lesson("least-likely", "Least likely: turn it into the model's last guess",
           "328d99215b19c8c7.jpg", (PanelSettings("iterative", "least-likely", 8.0),)),
    # Measured: 'ostrich' 99.8 % -> 'bathing cap' 100.0 %; as a JPEG at quality 75: 'ostrich'
    # 83.0 % again.
    Lesson("jpeg", "JPEG destroys it: save the adversarial as a JPEG", "5bf502c4a4b7d04d.jpg",
           (PanelSettings("iterative", "least-likely", 8.0),), check="jpeg"),
    # Measured: InceptionV3 'necklace' 99.0 % -> 'stage' 99.9 %; EfficientNet-Lite0 'necklace'
    # 97.9 % -> 'necklace' 98.6 %.
    Lesson("transfer", "Transfer: does it fool a second model?", "4d0c0f35a0c00bdc.jpg",
           (PanelSettings("iterative", "least-likely", 8.0),), check="second-model"),
)


def lesson(key: str) -> Lesson:
    for item in LESSONS:
        if item.key == key:
            return item
    raise KeyError(f"no lesson {key!r}; lessons: {', '.join(x.key for x in LESSONS)}")


def jpeg_probabilities(classifier: Classifier, adversarial: np.ndarray,
                       transform: Transform = JPEG) -> np.ndarray:
    """The model's probabilities for the 8-bit adversarial after a JPEG re-save, scored as the
    study's destruction rate scores it (core/study/destroy.py: the transform on the saved crop)."""
    view = transform.apply(adversarial)
    return classifier.probabilities(classifier.preprocessing.to_model(view[None]))[0]


def explanation(item: Lesson, result: LessonResult) -> str:
    """The sentence to read aloud, from what this run measured; it says so when the lesson's
    point did not show (another model, another photo), never claims what did not happen."""
    clean, last = result.clean, result.runs[-1] if result.runs else None
    if last is None:
        return "The attack did not finish."
    fooled = last.name != clean.name
    if item.key == "fast-vs-iterative" and len(result.runs) == 2:
        fast, eps = result.runs[0], item.runs[0].eps
        one = (f"one big step leaves {fast}" if fast.name == clean.name
               else f"one big step already makes it {fast}")
        many = f"many small steps make it {last}" if fooled else f"many small steps leave {last}"
        win = " — many small steps win." if fooled and fast.name == clean.name else "."
        return f"Same photo, same {eps:g} levels: {one}; {many}{win}"
    if item.key == "inverse":
        if not fooled:
            return f"Pushed away from {clean}, the model still says {last}."
        return (f"Pushed only away from {clean}, the model now says {last}: nobody chose that "
                "class, it is simply where the push led.")
    if not fooled:
        return f"The attack did not fool the model: it still says {last}."
    if item.check == "jpeg" and result.checked is not None:
        back = result.checked.name == clean.name
        return (f"The {clean.name} is now {last}; saved as a JPEG at quality {JPEG.amount:g}, "
                f"it is {result.checked}" + (" again: compression wiped the attack out."
                                             if back else ": compression changed the verdict."))
    if item.check == "second-model" and result.checked is not None:
        same = result.checked_clean is None or result.checked.name == result.checked_clean.name
        verdict = ("still says " if same else "now says ") + str(result.checked)
        tail = ": the attack does not transfer." if same else ": the attack transfers."
        return f"The {clean.name} is now {last} for {result.model}, but {result.second_model} " \
               f"{verdict}{tail}"
    if item.key == "least-likely":
        aimed = result.target
        if aimed is not None and last.name == aimed.name:
            return (f"Aimed at {aimed.name!r}, the class the model found least likely, the "
                    f"{clean.name} is now {last}.")
        return f"The {clean.name} is now {last}."
    return f"The model said {clean}; now {last}."
