"""What the user said about the model (name or path, labels, preprocessing, device), as one value
that the command line builds once and a Ray task can carry, and the one way it becomes a
Classifier."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the options are read (and sent to Ray tasks) without loading onnxruntime
    from advgui.core.model.classifier import Classifier
    from advgui.core.model.preprocess import Preprocessing


@dataclass(frozen=True)
class ModelOptions:
    model: str | None = None  # a shipped model's name or an .onnx path; None: the default model
    labels: Path | None = None  # class names file for a user model
    size: int | None = None  # size, mean and std: the preprocessing of a model without metadata
    mean: tuple[float, float, float] | None = None  # pixel units 0-255
    std: tuple[float, float, float] | None = None
    device: str = "auto"  # auto, cpu, cuda or cuda:N

    def preprocessing(self) -> Preprocessing | None:
        """The preprocessing the user gave, or None for the model's own."""
        from advgui.core.model.classifier import ModelError  # noqa: PLC0415
        from advgui.core.model.preprocess import Preprocessing  # noqa: PLC0415

        if self.size is None and not self.mean and not self.std:
            return None
        if not (self.size and self.mean and self.std):
            raise ModelError("--size, --mean and --std go together")
        try:
            return Preprocessing(size=self.size, mean=tuple(self.mean), std=tuple(self.std))
        except ValueError as exc:
            raise ModelError(f"--size/--mean/--std: {exc}") from None

    def classifier(self) -> Classifier:
        from advgui.core.model.classifier import ModelError  # noqa: PLC0415
        from advgui.core.model.registry import load_classifier  # noqa: PLC0415

        try:
            return load_classifier(self.model, labels=self.labels,
                                   preprocessing=self.preprocessing(), device=self.device)
        except RuntimeError as exc:  # --device cuda where CUDA cannot start
            raise ModelError(str(exc).splitlines()[0]) from None

    def resolved(self) -> ModelOptions:
        """The same options with absolute paths, for workers that run in another directory (or
        on another node sharing the file system). A shipped model's name stays a name."""
        model = self.model
        if model and (model.endswith(".onnx") or "/" in model) and Path(model).exists():
            model = str(Path(model).resolve())
        return dataclasses.replace(self, model=model,
                                   labels=Path(self.labels).resolve() if self.labels else None)
