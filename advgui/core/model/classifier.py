"""A loaded ONNX image classifier: its sessions, preprocessing and class names.

One object owns the forward session and (built on first use) the gradient session, so the same
weights are never loaded twice per device and nothing lives at module level.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from advgui.core.autodiff import GradientSpec, UnsupportedModel, build_gradient_model
from advgui.core.model.classes import ClassList
from advgui.core.model.hashing import sha256_file
from advgui.core.model.preprocess import Preprocessing
from advgui.core.model.session import DeviceChoice, create_session

log = logging.getLogger(__name__)


class ModelError(ValueError):
    """A model file that cannot be used; the message says why, for the user."""


@dataclass(frozen=True)
class GradientResult:
    probabilities: np.ndarray  # [N, K]
    loss: np.ndarray  # [N] cross-entropy of the target class
    gradient: np.ndarray  # direction * d loss / d input, [N, C, H, W]


def _labels_beside(path: Path) -> Path | None:
    for candidate in (path.with_suffix(".labels.txt"), path.with_suffix(".txt"),
                      path.parent / "labels.txt"):
        if candidate.exists():
            return candidate
    return None


class Classifier:
    """An ONNX image classifier (NCHW float input, [N, K] logits or probabilities output)."""

    def __init__(self, model: onnx.ModelProto, *, name: str, path: Path | None = None,
                 classes: ClassList | None = None, preprocessing: Preprocessing | None = None,
                 device: str = "auto") -> None:
        self.name, self.path = name, path
        self.model = model
        self._gradient_session = None
        self._spec: GradientSpec | None = None
        self._check_io(model)
        meta = {p.key: p.value for p in model.metadata_props}
        try:
            self.preprocessing = preprocessing or Preprocessing.from_metadata(meta)
        except ValueError as exc:
            raise ModelError(f"{name}: bad preprocessing metadata: {exc}") from exc
        if self.preprocessing is None:
            raise ModelError(
                f"{name}: the model carries no preprocessing metadata; give --size, --mean and "
                "--std (pixel units 0-255) for it")
        self._check_size()
        # A file on disk is hashed and opened by path (ONNX Runtime reads the external weights
        # itself); an in-memory model is serialized once.
        source: bytes | str = str(path) if path is not None else model.SerializeToString()
        self._source = source
        self.sha256 = sha256_file(path) if path is not None else hashlib.sha256(source).hexdigest()
        try:
            self.session, self.device = create_session(source, device)
        except RuntimeError as exc:
            if "CUDA was requested" in str(exc):
                raise
            raise ModelError(f"{name}: ONNX Runtime cannot run this model: "
                             f"{str(exc).splitlines()[0][:300]}") from exc
        log.info("model %s runs on %s", name, self.device.describe())
        self.input_name = self.session.get_inputs()[0].name
        probe = self._forward(np.zeros((1, 3, self.size, self.size), np.float32))
        if not np.all(np.isfinite(probe)):
            raise ModelError(f"{name}: the model produces NaN or infinite outputs on a plain image")
        self.num_classes = probe.shape[1]
        self.outputs_probabilities = self._ends_in_softmax(model)
        self.classes = classes or ClassList.from_metadata(meta) or ClassList.numbered(self.num_classes)
        if len(self.classes) != self.num_classes:
            raise ModelError(f"{name}: {len(self.classes)} class names for "
                             f"{self.num_classes} outputs")

    # -- loading -----------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path, *, labels: Path | None = None,
             preprocessing: Preprocessing | None = None, device: str = "auto",
             name: str | None = None) -> "Classifier":
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        try:
            model = onnx.load(str(path))
        except Exception as exc:  # protobuf's DecodeError and friends
            raise ModelError(f"{path.name} is not an ONNX model ({type(exc).__name__})") from exc
        if not model.graph.node:
            raise ModelError(f"{path.name} is not an ONNX model (no graph)")
        labels = labels or _labels_beside(path)
        classes = ClassList.from_file(labels) if labels else None
        return cls(model, name=name or path.stem, path=path, classes=classes,
                   preprocessing=preprocessing, device=device)

    @staticmethod
    def _check_io(model: onnx.ModelProto) -> None:
        inits = {t.name for t in model.graph.initializer}
        inputs = [i for i in model.graph.input if i.name not in inits]
        if len(inputs) != 1:
            raise ModelError(f"an image classifier has one input; this model has {len(inputs)}")
        elem = inputs[0].type.tensor_type.elem_type
        if elem != onnx.TensorProto.FLOAT:
            kind = onnx.helper.tensor_dtype_to_np_dtype(elem).name if elem else "untyped"
            raise ModelError(f"input '{inputs[0].name}' is {kind}; advgui feeds float32 "
                             "(NCHW, the model's own normalisation), so this model cannot be used")
        dims = inputs[0].type.tensor_type.shape.dim
        if len(dims) != 4:
            raise ModelError(f"input '{inputs[0].name}' has rank {len(dims)}; expected N x 3 x H x W")
        if dims[1].HasField("dim_value") and dims[1].dim_value != 3:
            raise ModelError(f"input '{inputs[0].name}' has {dims[1].dim_value} channels; expected 3 "
                             "(NCHW RGB)")
        if len(model.graph.output) < 1:
            raise ModelError("the model has no output")

    def _check_size(self) -> None:
        dims = self.model.graph.input[0].type.tensor_type.shape.dim
        for d in dims[2:]:
            if d.HasField("dim_value") and d.dim_value != self.preprocessing.size:
                raise ModelError(f"{self.name}: input is {d.dim_value} px but preprocessing says "
                                 f"{self.preprocessing.size} px")

    @staticmethod
    def _ends_in_softmax(model: onnx.ModelProto) -> bool:
        out = model.graph.output[0].name
        return any(out in n.output and n.op_type == "Softmax" for n in model.graph.node)

    # -- running -------------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.preprocessing.size

    def _run(self, which: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run a session; a CUDA failure mid-run moves this classifier to the CPU and retries."""
        try:
            return getattr(self, which).run(None, feeds)
        except Exception as exc:  # onnxruntime raises its own Fail/RuntimeException types
            if not self.device.used.startswith("cuda"):
                raise
            self._fall_back_to_cpu(exc)
            return getattr(self, which).run(None, feeds)

    def _fall_back_to_cpu(self, exc: Exception) -> None:
        reason = f"CUDA failed mid-run ({str(exc).splitlines()[0][:160]}); continuing on CPU"
        log.warning("%s: %s", self.name, reason)
        self.session, _ = create_session(self._source, "cpu")
        self.device = DeviceChoice(self.device.requested, "cpu", reason)
        if self._gradient_session is not None:
            self._gradient_session = None
            self.ensure_gradient()

    def _forward(self, x: np.ndarray) -> np.ndarray:
        y = self._run("session", {self.input_name: np.ascontiguousarray(x, np.float32)})[0]
        if y.ndim != 2:
            raise ModelError(f"{self.name}: output has shape {y.shape}; expected [N, classes]")
        return y

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Softmax probabilities [N, K] of model-unit inputs [N, 3, H, W]."""
        y = self._forward(x).astype(np.float64)
        if self.outputs_probabilities:
            return y
        y -= y.max(axis=1, keepdims=True)
        e = np.exp(y)
        return e / e.sum(axis=1, keepdims=True)

    @property
    def has_gradient(self) -> bool:
        return self._gradient_session is not None

    def ensure_gradient(self) -> None:
        """Build the gradient graph now (it takes a few seconds for InceptionV3)."""
        if self._gradient_session is not None:
            return
        size = self.size
        try:
            graph, self._spec = build_gradient_model(self.model, (3, size, size))
        except UnsupportedModel as exc:
            raise ModelError(f"{self.name}: cannot differentiate: {exc}") from exc
        self._gradient_session, _ = create_session(graph.SerializeToString(),
                                                   self.device.used
                                                   if self.device.used.startswith("cuda") else "cpu")

    def gradient(self, x: np.ndarray, target: np.ndarray, direction: np.ndarray) -> GradientResult:
        """One run: probabilities, cross-entropy of ``target`` and direction * d loss / d x."""
        self.ensure_gradient()
        assert self._spec is not None and self._gradient_session is not None
        probs, loss, grad = self._run("_gradient_session", {
            self._spec.image: np.ascontiguousarray(x, np.float32),
            self._spec.target: np.asarray(target, np.int64),
            self._spec.direction: np.asarray(direction, np.float32),
        })
        return GradientResult(probs.astype(np.float64), loss, grad)

    def describe(self) -> str:
        return f"{self.name} on {self.device.describe()}"
