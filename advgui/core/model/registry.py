"""The shipped models (models/models.json) and how a --model NAME|PATH becomes a Classifier."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from advgui.core.model.classifier import Classifier, ModelError
from advgui.core.model.preprocess import Preprocessing


def models_dir() -> Path:
    """ADVGUI_MODELS, else models/ beside the package (source checkout or bundle)."""
    env = os.environ.get("ADVGUI_MODELS")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "models"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    title: str
    path: Path
    info: dict


def shipped_models(folder: Path | None = None) -> list[ModelEntry]:
    folder = folder or models_dir()
    manifest = folder / "models.json"
    if not manifest.exists():
        return []
    data = json.loads(manifest.read_text())
    return [ModelEntry(m["name"], m.get("title", m["name"]), folder / m["file"], m)
            for m in data["models"]]


def default_model_name(folder: Path | None = None) -> str:
    folder = folder or models_dir()
    manifest = folder / "models.json"
    return json.loads(manifest.read_text()).get("default", "inception_v3") if manifest.exists() \
        else "inception_v3"


def load_classifier(spec: str | None = None, *, labels: Path | None = None,
                    preprocessing: Preprocessing | None = None,
                    device: str = "auto") -> Classifier:
    """A shipped model by name, or any ONNX file by path."""
    spec = spec or default_model_name()
    for entry in shipped_models():
        if entry.name == spec:
            if not entry.path.exists():
                raise ModelError(f"shipped model {spec} is missing: {entry.path}")
            return Classifier.load(entry.path, labels=labels, preprocessing=preprocessing,
                                   device=device, name=entry.name)
    path = Path(spec)
    if path.suffix.lower() == ".onnx" or path.exists():
        return Classifier.load(path, labels=labels, preprocessing=preprocessing, device=device)
    names = ", ".join(e.name for e in shipped_models()) or "none installed"
    raise ModelError(f"unknown model {spec!r}: give a shipped model ({names}) or an .onnx path")
