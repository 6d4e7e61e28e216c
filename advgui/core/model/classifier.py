"""A loaded ONNX image classifier: its sessions, preprocessing and class names.

One object owns the forward session and (built on first use) the gradient session, so the same
weights are never loaded twice per device and nothing lives at module level.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from advgui.core.autodiff import (GradientSpec, UnsupportedModel, UnsupportedOperators,
                                  build_gradient_model)
from advgui.core.model.batch import batched_variants, has_fixed_batch_one
from advgui.core.model.classes import ClassList
from advgui.core.model.hashing import sha256_file
from advgui.core.model.preprocess import Preprocessing
from advgui.core.model.session import DeviceChoice, create_session
from advgui.core.model.sidecar import (SidecarError, model_file, read_model_classes,
                                       read_model_sidecar, sidecar_path)

log = logging.getLogger(__name__)


class ModelError(ValueError):
    """A model file that cannot be used; the message says why, for the user."""


@dataclass(frozen=True)
class GradientResult:
    probabilities: np.ndarray  # [N, K]
    loss: np.ndarray  # [N] cross-entropy of the target class
    gradient: np.ndarray  # direction * d loss / d input, [N, C, H, W]


_IR_LIMIT = re.compile(r"Unsupported model IR version: (\d+), max supported IR version: (\d+)")

# What a model without a gradient rule can still do, for the refusal.
STILL_WORKS = ("classification (advgui-cli classify, study --classify-only), transfer scoring "
               "(--transfer-to) and the gradient-free Square Attack (attack --method square, "
               "study --methods square) still work; docs/gradient.md lists the supported "
               "operators")


class Classifier:
    """An ONNX image classifier (NCHW float input, [N, K] logits or probabilities output)."""

    def __init__(self, model: onnx.ModelProto, *, name: str, path: Path | None = None,
                 classes: ClassList | None = None, preprocessing: Preprocessing | None = None,
                 device: str = "auto") -> None:
        self.name, self.path = name, path
        self.model = model
        self._gradient_session = None
        self._spec: GradientSpec | None = None
        self.input_name = self._check_io(model)
        meta = {p.key: p.value for p in model.metadata_props}
        try:
            self.preprocessing = preprocessing or Preprocessing.from_metadata(meta)
        except ValueError as exc:
            raise ModelError(f"{name}: bad preprocessing metadata: {exc}") from exc
        if self.preprocessing is None:
            where = sidecar_path(path).name if path is not None else "M.preprocessor_config.json"
            raise ModelError(
                f"{name}: the model carries no preprocessing; put {where} beside it (Hugging "
                "Face's format: size, image_mean, image_std in 0-1 units; see README 'Your own "
                "model'), or give --size, --mean and --std (pixel units 0-255) for the attacked "
                "model")
        self._check_size()
        # A file on disk is hashed and opened by path (ONNX Runtime reads the external weights
        # itself); an in-memory model is serialized once.
        source: bytes | str = str(path) if path is not None else model.SerializeToString()
        self.sha256 = sha256_file(path) if path is not None else hashlib.sha256(source).hexdigest()
        self._source = source
        self._one_at_a_time = False
        self.session, self.device = self._open(source, device)  # may lower the IR version
        # A fixed batch of 1 is scored one image at a time unless a rewrite takes any batch.
        if has_fixed_batch_one(self.model, self.input_name):
            batched = self._batched(self.model)
            if batched is not None:
                self.session, self.device = create_session(batched, device)
                self._source = batched
        log.info("model %s runs on %s", name, self.device.describe())
        probe = self._forward(np.zeros((1, 3, self.size, self.size), np.float32))
        if not np.all(np.isfinite(probe)):
            raise ModelError(f"{name}: the model produces NaN or infinite outputs on a plain image")
        self.num_classes = probe.shape[1]
        self.outputs_probabilities = self._ends_in_softmax(model)
        self.classes = (classes or ClassList.from_metadata(meta) or self._classes_beside()
                        or ClassList.numbered(self.num_classes))
        if len(self.classes) != self.num_classes:
            raise ModelError(f"{name}: {len(self.classes)} class names for "
                             f"{self.num_classes} outputs")

    # -- loading -----------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path, *, labels: Path | None = None,
             preprocessing: Preprocessing | None = None, device: str = "auto",
             name: str | None = None) -> "Classifier":
        try:
            path = model_file(Path(path))
        except SidecarError as exc:
            raise ModelError(str(exc)) from None
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        try:
            model = onnx.load(str(path))
        except Exception as exc:  # protobuf's DecodeError and friends
            raise ModelError(f"{path.name} is not an ONNX model ({type(exc).__name__})") from exc
        if not model.graph.node:
            raise ModelError(f"{path.name} is not an ONNX model (no graph)")
        classes = ClassList.from_file(labels) if labels else None
        meta = {p.key for p in model.metadata_props}
        if preprocessing is None and "advgui.input_size" not in meta:
            try:  # the model's own file beside it, or its Optimum export folder's
                preprocessing = read_model_sidecar(path)
            except SidecarError as exc:
                raise ModelError(str(exc)) from None
        # An Optimum folder's file is always model.onnx: the folder names the model.
        stem = path.parent.name if path.name == "model.onnx" else path.stem
        return cls(model, name=name or stem, path=path, classes=classes,
                   preprocessing=preprocessing, device=device)

    def _classes_beside(self) -> ClassList | None:
        if self.path is None:
            return None
        try:
            return read_model_classes(self.path)
        except (ValueError, OSError) as exc:
            raise ModelError(f"{self.name}: class names beside the model: {exc}") from None

    def _open(self, source: bytes | str, device: str):
        """A session; a model saved with a newer IR version than ONNX Runtime reads is lowered
        to the newest it reads (IR bumps do not change what a graph computes)."""
        try:
            return create_session(source, device)
        except Exception as exc:  # onnxruntime's Fail/InvalidGraph are not RuntimeErrors
            if "CUDA was requested" in str(exc):
                raise
            limit = _IR_LIMIT.search(str(exc))
            if limit is None:
                raise ModelError(f"{self.name}: ONNX Runtime cannot run this model: "
                                 f"{str(exc).splitlines()[0][:300]}") from None
            saved, readable = int(limit.group(1)), int(limit.group(2))
        lowered = onnx.ModelProto()
        lowered.CopyFrom(self.model)
        lowered.ir_version = readable
        try:
            session = create_session(lowered.SerializeToString(), device)
        except Exception as exc:  # onnxruntime's Fail/InvalidGraph are not RuntimeErrors
            raise ModelError(
                f"{self.name}: saved with ONNX IR version {saved}, this ONNX Runtime reads up to "
                f"{readable} and the model does not run at {readable} "
                f"({str(exc).splitlines()[0][-120:]}); re-export it at a lower opset or upgrade "
                "onnxruntime") from None
        log.info("%s: IR version %d lowered to %d for ONNX Runtime", self.name, saved, readable)
        self.model = lowered
        self._source = lowered.SerializeToString()
        return session

    def _batched(self, model: onnx.ModelProto) -> bytes | None:
        """A batch-N rewrite that scores two images as each alone, else None (the model is then
        scored one image at a time)."""
        rng = np.random.default_rng(0)
        pixels = rng.integers(0, 256, (2, self.size, self.size, 3)).astype(np.float32)
        x = self.preprocessing.to_model(pixels)
        for variant in batched_variants(model, self.input_name):
            data = variant.SerializeToString()
            options = ort.SessionOptions()
            options.log_severity_level = 4  # a refused rewrite is expected, not an error to show
            try:
                session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
                both = session.run(None, {self.input_name: x})[0]
                alone = np.concatenate([session.run(None, {self.input_name: x[i:i + 1]})[0]
                                        for i in range(2)])
            except Exception:  # onnxruntime's own error types: a Reshape that bakes in batch 1
                continue
            if both.shape == alone.shape and np.allclose(both, alone, rtol=1e-4, atol=1e-5):
                self.model = variant
                return data
        self._one_at_a_time = True
        log.info("%s: fixed batch of 1; scoring one image at a time", self.name)
        return None

    @staticmethod
    def _check_io(model: onnx.ModelProto) -> str:
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
        return inputs[0].name

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
        x = np.ascontiguousarray(x, np.float32)
        if self._one_at_a_time and len(x) > 1:
            return np.concatenate([self._forward(x[i:i + 1]) for i in range(len(x))])
        y = self._run("session", {self.input_name: x})[0]
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
        except UnsupportedOperators as exc:
            raise ModelError(f"{self.name}: cannot attack this model: {exc.summary()}; "
                             f"{STILL_WORKS}") from exc
        except UnsupportedModel as exc:
            raise ModelError(f"{self.name}: cannot differentiate: {exc}") from exc
        self._gradient_session, _ = create_session(graph.SerializeToString(),
                                                   self.device.used
                                                   if self.device.used.startswith("cuda") else "cpu")

    def gradient(self, x: np.ndarray, target: np.ndarray, direction: np.ndarray) -> GradientResult:
        """One run: probabilities, cross-entropy of ``target`` and direction * d loss / d x."""
        self.ensure_gradient()
        assert self._spec is not None and self._gradient_session is not None
        if self._one_at_a_time and len(x) > 1:
            parts = [self.gradient(x[i:i + 1], target[i:i + 1], direction[i:i + 1])
                     for i in range(len(x))]
            return GradientResult(*(np.concatenate([getattr(p, f) for p in parts])
                                    for f in ("probabilities", "loss", "gradient")))
        probs, loss, grad = self._run("_gradient_session", {
            self._spec.image: np.ascontiguousarray(x, np.float32),
            self._spec.target: np.asarray(target, np.int64),
            self._spec.direction: np.asarray(direction, np.float32),
        })
        return GradientResult(probs.astype(np.float64), loss, grad)

    def describe(self) -> str:
        return f"{self.name} on {self.device.describe()}"
