"""Preprocessing and class names that travel beside a model file.

One format, Hugging Face's: a model exported with Optimum is a folder holding ``model.onnx``,
``preprocessor_config.json`` (size, image_mean, image_std in 0-1 units, do_resize, crop_pct,
do_center_crop, crop_size, resample, do_rescale, rescale_factor) and ``config.json``
(``id2label``). A bare ``M.onnx`` gets the same file under its own name,
``M.preprocessor_config.json`` beside it (so several models can share a folder), which may name
a class-names file in ``"advgui_labels_file"``. The CLI reads it, the window writes it
(``write_model_sidecar``) so the next open is direct. Without any of these, a ``*labels*.txt``
beside the model gives the class names.

Order for a model file M.onnx: its embedded advgui metadata, ``M.preprocessor_config.json``,
then the folder's ``preprocessor_config.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import onnx

from advgui.core.model.classes import ClassList
from advgui.core.model.preprocess import Preprocessing

FOLDER_MODEL = "model.onnx"
FOLDER_PREPROCESSOR = "preprocessor_config.json"
FOLDER_CONFIG = "config.json"
LABELS_KEY = "advgui_labels_file"
# PIL's resample numbers, as Hugging Face stores them: 2 bilinear, 3 bicubic.
_RESAMPLE = {2: "bilinear", 3: "bicubic"}


class SidecarError(ValueError):
    """A preprocessing file beside a model that cannot be read; the message names it."""


def model_file(path: Path) -> Path:
    """The ONNX file of a model path: the file itself, or model.onnx in an export folder."""
    path = Path(path)
    if path.is_dir():
        found = path / FOLDER_MODEL
        if not found.is_file():
            onnx_files = sorted(path.glob("*.onnx"))
            if len(onnx_files) != 1:
                raise SidecarError(f"{path} is a folder without {FOLDER_MODEL}")
            found = onnx_files[0]
        return found
    return path


def sidecar_path(path: Path) -> Path:
    """Where the preprocessing of a bare .onnx file goes: M.preprocessor_config.json."""
    path = model_file(path)
    return path.with_name(path.stem + "." + FOLDER_PREPROCESSOR)


def _candidates(path: Path) -> list[Path]:
    path = model_file(path)
    return [sidecar_path(path), path.parent / FOLDER_PREPROCESSOR]


def _size(config: dict, key: str) -> tuple[int, bool] | None:
    """(pixels, is_height_width) of a Hugging Face size entry: an int, {height, width} or
    {shortest_edge}."""
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, int):
        return value, False
    if isinstance(value, dict):
        if "height" in value and "width" in value:
            if value["height"] != value["width"]:
                raise ValueError(f"{key} {value['height']}x{value['width']} is not square; "
                                 "advgui feeds square inputs")
            return int(value["height"]), True
        if "shortest_edge" in value:
            return int(value["shortest_edge"]), False
    raise ValueError(f"{key} {value!r} is not an int, {{height, width}} or {{shortest_edge}}")


def preprocessing_from_hf(config: dict) -> Preprocessing:
    """A Hugging Face image processor config as advgui's Preprocessing (pixel units 0-255)."""
    size = _size(config, "size")
    crop = _size(config, "crop_size")
    do_crop = bool(config.get("do_center_crop", crop is not None))
    if size is None and crop is None:
        raise ValueError("no size")
    resize_to, square = size if size is not None else crop  # type: ignore[misc]
    if do_crop and crop is not None:
        out = crop[0]
        fraction = out / resize_to if resize_to >= out else 1.0
        stretch = False
    else:
        out = resize_to
        fraction = float(config.get("crop_pct") or 1.0)
        # {height, width} without a crop: resized to exactly that, whatever the aspect ratio.
        stretch = square and not config.get("crop_pct")
    if not config.get("do_resize", True):
        stretch = False
    rescale = float(config.get("rescale_factor", 1 / 255)) if config.get("do_rescale", True) else 1.0
    if config.get("do_normalize", True):
        mean01 = config.get("image_mean", [0.5, 0.5, 0.5])
        std01 = config.get("image_std", [0.5, 0.5, 0.5])
    else:
        mean01, std01 = [0.0] * 3, [1.0] * 3
    mean01 = list(mean01) * 3 if len(mean01) == 1 else list(mean01)
    std01 = list(std01) * 3 if len(std01) == 1 else list(std01)
    if len(mean01) != 3 or len(std01) != 3:
        raise ValueError("image_mean and image_std need 1 or 3 values")
    # model = (pixel * rescale - mean) / std = (pixel - mean / rescale) / (std / rescale)
    return Preprocessing(
        size=int(out), mean=tuple(float(m) / rescale for m in mean01),  # type: ignore[arg-type]
        std=tuple(float(s) / rescale for s in std01),  # type: ignore[arg-type]
        crop_fraction=min(1.0, fraction), resample=_RESAMPLE.get(config.get("resample", 2),
                                                                 "bicubic"),
        stretch=stretch)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SidecarError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(data, dict):
        raise SidecarError(f"{path}: expected a JSON object")
    return data


def read_model_sidecar(path: Path) -> Preprocessing | None:
    """The preprocessing written beside a model (file or Optimum folder), or None."""
    for candidate in _candidates(path):
        if candidate.is_file():
            try:
                return preprocessing_from_hf(_read_json(candidate))
            except (ValueError, TypeError) as exc:
                if isinstance(exc, SidecarError):
                    raise
                raise SidecarError(f"{candidate}: {exc}") from None
    return None


def read_model_classes(path: Path) -> ClassList | None:
    """Class names beside a model: the sidecar's labels file, config.json's id2label, or one
    ``*labels*.txt`` in the model's folder."""
    path = model_file(path)
    side = sidecar_path(path)
    if side.is_file():
        named = _read_json(side).get(LABELS_KEY)
        if named:
            return ClassList.from_file(side.parent / named)
    config = path.parent / FOLDER_CONFIG
    if config.is_file():
        id2label = _read_json(config).get("id2label")
        if isinstance(id2label, dict) and id2label:
            try:
                pairs = sorted((int(k), str(v)) for k, v in id2label.items())
            except ValueError:
                raise SidecarError(f"{config}: id2label keys must be class indices") from None
            if [k for k, _ in pairs] == list(range(len(pairs))):
                return ClassList(tuple(v for _, v in pairs), tuple(v for _, v in pairs))
    for candidate in (path.with_suffix(".labels.txt"), path.with_suffix(".txt"),
                      path.parent / "labels.txt"):
        if candidate.is_file():
            return ClassList.from_file(candidate)
    found = sorted(path.parent.glob("*labels*.txt"))
    return ClassList.from_file(found[0]) if len(found) == 1 else None


def write_model_sidecar(path: Path, preprocessing: Preprocessing,
                        labels_file: Path | None = None) -> Path:
    """Write M.preprocessor_config.json beside model M.onnx (Hugging Face's keys); returns it."""
    side = sidecar_path(path)
    # ConvNeXt's processor keys (shortest edge and crop_pct) say the crop exactly.
    data: dict = {
        "image_processor_type": "advgui",
        "do_resize": True,
        "size": ({"height": preprocessing.size, "width": preprocessing.size}
                 if preprocessing.stretch else {"shortest_edge": preprocessing.size}),
        **({} if preprocessing.stretch else {"crop_pct": preprocessing.crop_fraction}),
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": [m / 255 for m in preprocessing.mean],
        "image_std": [s / 255 for s in preprocessing.std],
        "resample": {v: k for k, v in _RESAMPLE.items()}[preprocessing.resample],
    }
    if labels_file is not None:
        labels_file = Path(labels_file)
        try:
            data[LABELS_KEY] = labels_file.resolve().relative_to(side.parent.resolve()).as_posix()
        except ValueError:
            data[LABELS_KEY] = str(labels_file.resolve())
    side.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return side


def _dims(value: onnx.ValueInfoProto) -> list[int | str]:
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in value.type.tensor_type.shape.dim]


def describe_io(path: Path) -> dict[str, list[tuple[str, list[int | str]]]]:
    """The model's inputs and outputs with their shapes (symbolic dims by name), read without
    loading its weights: {"inputs": [(name, dims)], "outputs": [(name, dims)]}."""
    model = onnx.load(str(model_file(path)), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    return {"inputs": [(i.name, _dims(i)) for i in model.graph.input if i.name not in inits],
            "outputs": [(o.name, _dims(o)) for o in model.graph.output]}
