"""The Python API for notebooks and scripts (re-exported by ``import advgui``).

    import advgui
    model = advgui.load_model("inception_v3")            # or an .onnx path, or an Optimum folder
    advgui.classify(model, ["cat.jpg"])                  # top-5 with names, and the tier
    result = advgui.run_attack(advgui.attack(model, "cat.jpg", method="fast", eps=4))
    outcome = advgui.run_study("photos/", "study/", model=model, eps=(2, 4, 8), per_tier=5)
    advgui.read_study("study/").summary                  # the summary rows, as the CLI prints

Each function imports what it needs when called, so ``import advgui`` stays light (no
onnxruntime, no Qt); read_study never loads onnxruntime.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from advgui.core.attacks import AttackResult, StepRecord
    from advgui.core.model.classifier import Classifier
    from advgui.core.records.config import StudyOutcome


def load_model(name_or_path: str | Path | None = None, device: str = "auto", *,
               labels: str | Path | None = None, size: int | None = None,
               mean: tuple[float, float, float] | None = None,
               std: tuple[float, float, float] | None = None) -> Classifier:
    """A classifier: a shipped model's name (``advgui-cli models``), an .onnx path or an Optimum
    export folder; None is the default model. ``device``: auto (CUDA if it starts, else CPU), cpu,
    cuda or cuda:N. ``labels``, ``size``, ``mean`` and ``std`` (pixel units 0-255) describe a model
    that carries no metadata, as the command line's --labels/--size/--mean/--std."""
    from advgui.core.model.options import ModelOptions  # noqa: PLC0415

    return ModelOptions(model=str(name_or_path) if name_or_path is not None else None,
                        labels=Path(labels) if labels else None, size=size,
                        mean=tuple(mean) if mean else None, std=tuple(std) if std else None,
                        device=device).classifier()


def _pixels(model: Classifier, image) -> np.ndarray:
    """[H, W, 3] uint8 at the model's size from a path, a PIL image or an array."""
    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    from advgui.core.model.images import load_rgb  # noqa: PLC0415

    if isinstance(image, (str, Path)):
        image = load_rgb(Path(image))
    elif isinstance(image, np.ndarray):
        image = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("RGB")
    return model.preprocessing.load(image)


@dataclass(frozen=True)
class Prediction:
    """One image's classification: the top classes (index, name, probability) and its tier."""

    image: str
    top: list[tuple[int, str, float]]
    tier: str

    @property
    def label(self) -> str:
        return self.top[0][1]


def classify(model: Classifier, images: Iterable | str | Path, top: int = 5,
             high: float = 0.30, medium: float = 0.15) -> list[Prediction]:
    """Classify images (paths, PIL images or [H, W, 3] uint8 arrays; one path alone is fine): the
    ``top`` classes of each and its confidence tier (high >= ``high``, low < ``medium``)."""
    import numpy as np  # noqa: PLC0415

    from advgui.core.tiers import TierThresholds  # noqa: PLC0415

    if isinstance(images, (str, Path)) or (isinstance(images, np.ndarray) and images.ndim == 3):
        images = [images]
    images = list(images)
    thresholds = TierThresholds(high, medium)
    batch = np.stack([_pixels(model, im) for im in images])
    probs = model.probabilities(model.preprocessing.to_model(batch))
    out = []
    for image, p in zip(images, probs):
        order = np.argsort(-p)[:top]
        out.append(Prediction(str(image) if isinstance(image, (str, Path)) else "<array>",
                              [(int(i), model.classes.label(int(i)), float(p[i])) for i in order],
                              thresholds.tier_of(float(p[order[0]])).value))
    return out


def attack(model: Classifier, image, method: str = "iterative", target: str = "least-likely",
           eps: float = 8.0, alpha: float | None = None, steps: int | None = None,
           truth: int | None = None, seed: int = 0) -> Generator[StepRecord, None, AttackResult]:
    """Attack one image: a generator that yields a StepRecord after every step (probabilities,
    loss, the image so far) and returns the AttackResult (``run_attack`` drives it to its end).
    ``method``: fast, iterative, pgd, momentum; ``target``: least-likely, least-likely-top5,
    inverse, class:N or true (with ``truth``); ``eps`` and ``alpha`` in pixel levels 0-255."""
    import numpy as np  # noqa: PLC0415

    from advgui.core.attacks import Target, attack_from_settings  # noqa: PLC0415

    chosen = attack_from_settings(method, eps=eps, alpha=alpha, steps=steps, seed=seed)
    goal = Target.parse(target, model.num_classes)
    x = model.preprocessing.to_model(_pixels(model, image)[None])
    return chosen.run(model, x, goal, None if truth is None else np.asarray([truth]))


def run_attack(steps: Generator[Any, Any, Any], on_step=None) -> Any:
    """Drive ``attack(...)`` (or any such generator) to its end and return its result, calling
    ``on_step`` with each step."""
    from advgui.core.attacks import run_to_end  # noqa: PLC0415

    return run_to_end(steps, on_step)


def run_study(folder: str | Path, out: str | Path, model: Classifier | str | Path | None = None,
              device: str = "auto", on_progress=None, **config) -> StudyOutcome:
    """Run the seed's tier study of the images in ``folder`` into ``out`` (resumable, as
    ``advgui-cli study``) and return its outcome. ``model``: a loaded classifier, or what
    load_model takes. ``config``: StudyConfig's fields, e.g. per_tier=5, methods=("fast",),
    eps=(2, 4, 8), targets=("least-likely",), seed=0, batch=8."""
    from advgui.core.attacks import run_to_end  # noqa: PLC0415
    from advgui.core.records.config import StudyConfig  # noqa: PLC0415
    from advgui.core.study.engine import Study  # noqa: PLC0415

    classifier = model if hasattr(model, "probabilities") else load_model(model, device)
    for key in ("methods", "targets", "eps", "transfer_to", "destroy"):
        if key in config and isinstance(config[key], (str, int, float)):
            config[key] = (config[key],)
        elif key in config:
            config[key] = tuple(config[key])
    study = Study(classifier, StudyConfig(folder=Path(folder), out=Path(out), **config))
    return run_to_end(study.run(), on_progress)


@dataclass
class StudyResults:
    """A study folder's results: ``summary`` (one row per tier, method, target and eps: rates
    with intervals), ``images`` (one row per image and attack), ``extras`` (transfer and
    destruction summaries, when the study had them) and ``notes`` (damaged rows left out)."""

    summary: list[dict]
    images: list[dict]
    extras: Any = None
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        """The summary as ``advgui-cli summary`` prints it."""
        from advgui.core.analysis.tables import format_summary  # noqa: PLC0415

        return format_summary(self.summary)


def read_study(out: str | Path) -> StudyResults:
    """Read a study folder's rows (read only, also while another run writes it); no onnxruntime."""
    from advgui.core.analysis.beside_table import read_extras  # noqa: PLC0415
    from advgui.core.analysis.summary import summary_rows  # noqa: PLC0415
    from advgui.core.records.row_log import read_csv  # noqa: PLC0415
    from advgui.core.records.schema import IMAGE_COLUMNS, image_key, validate_image_row  # noqa: PLC0415

    path = Path(out) / "images.csv"
    if not path.exists():
        raise ValueError(f"no study results in {out} (images.csv missing)")
    contents = read_csv(path, IMAGE_COLUMNS, validate_image_row, image_key,
                        required=[c for c in IMAGE_COLUMNS if c != "study_id"])
    extras = read_extras(Path(out))
    notes = ([contents.describe_dropped()] if contents.damaged else []) + list(extras.notes)
    return StudyResults(summary_rows(contents.rows), list(contents.rows), extras, notes)
