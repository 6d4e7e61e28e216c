"""The explanation views of one classifier: its sessions, built on first use, and their runs.

Three graphs, each its own session so each view's cost stands alone (benchmarks/explain_cost.py):
the input gradient (the model and its whole reversed graph, like an attack step), Grad-CAM (the
model and the reversed head from the logits down to the last spatial map) and the block
activations (the model with the blocks as extra outputs: no backward at all).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort

from advgui.core.autodiff import UnsupportedModel
from advgui.core.autodiff.intermediate import build_tensor_gradient_model
from advgui.core.explain.graph_parts import GraphParts, find_parts
from advgui.core.explain.maps import (CAM_NORMALISATION, GRADIENT_NORMALISATION, Divergence,
                                      ExplainMap, divergence, grad_cam, gradient_magnitude)
from advgui.core.model.classifier import Classifier
from advgui.core.model.session import create_session
from advgui.core.explain.weights import light_model

TOP1 = -1  # a class index that asks for each image's own top-1 class


class ExplainUnavailable(ValueError):
    """A view this model cannot give (no spatial map, or no backward rule); says why."""


@dataclass(frozen=True)
class ExplainFrame:
    """Every view of one adversarial image (one attack step) beside its clean photo."""

    gradient: ExplainMap  # of the adversarial, for the clean top-1 class
    cam_clean: ExplainMap | None  # of the clean photo, for its top-1 class
    cam_adversarial: ExplainMap | None  # of the adversarial, for its own top-1 class
    divergence: Divergence


class Explainer:
    """Input-gradient maps, Grad-CAM and layer divergence of one loaded classifier."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        size = classifier.size
        self.input_size = (3, size, size)
        self.parts: GraphParts = find_parts(classifier.model, self.input_size)
        self._sessions: dict[str, tuple] = {}
        self._light: tuple[onnx.ModelProto, dict, dict] | None = None
        self._clean_cache: tuple[bytes, list[np.ndarray], ExplainMap | None] | None = None

    # -- sessions ----------------------------------------------------------------------------
    def _device(self) -> str:
        used = self.classifier.device.used
        return used if used.startswith("cuda") else "cpu"

    def _weightless(self) -> tuple[onnx.ModelProto, dict, dict]:
        if self._light is None:
            self._light = light_model(self.classifier.model)
        return self._light

    def _open(self, graph: onnx.ModelProto, more: dict[str, np.ndarray] | None = None):
        _, _, weights = self._weightless()
        names = {t.name for t in graph.graph.initializer}
        given = {k: v for k, v in weights.items() if k in names}
        given.update({k: ort.OrtValue.ortvalue_from_numpy(v) for k, v in (more or {}).items()})
        session, _ = create_session(graph.SerializeToString(), self._device(), given)
        # ONNX Runtime reads these from memory while it runs: they live as long as the session.
        session.advgui_weights = (given, more)
        return session

    def _gradient_session(self, key: str, tensor: str):
        if key not in self._sessions:
            light, arrays, _ = self._weightless()
            made: dict[str, np.ndarray] = {}
            graph, spec = build_tensor_gradient_model(light, (tensor,), self.input_size,
                                                      constants=arrays, external=made)
            self._sessions[key] = (self._open(graph, made), spec)
        return self._sessions[key]

    def _blocks_session(self):
        if "blocks" not in self._sessions:
            light, _, _ = self._weightless()
            model = onnx.ModelProto()
            model.CopyFrom(light)
            del model.graph.output[:]
            model.graph.output.extend(onnx.ValueInfoProto(name=b.name) for b in self.parts.blocks)
            self._sessions["blocks"] = (self._open(model), None)
        return self._sessions["blocks"]

    def prepare(self) -> None:
        """Build every session now (InceptionV3: a few seconds), off the GUI thread; the
        gradient ones are left to their first use where the model cannot be differentiated."""
        self._blocks_session()
        try:
            self._gradient_session("image", self.parts.image)
            if self.parts.spatial_map is not None:
                self._gradient_session("cam", self.parts.spatial_map.name)
        except UnsupportedModel:
            pass

    # -- views -------------------------------------------------------------------------------
    def _label(self, index: int) -> str:
        return self.classifier.classes.label(int(index))

    def input_gradient(self, x: np.ndarray, class_index: int = TOP1) -> ExplainMap:
        """|d score_c / d x| over one model-space image [3, H, W], c = ``class_index``."""
        session, spec = self._gradient_session("image", self.parts.image)
        out = dict(zip([o.name for o in session.get_outputs()], session.run(None, {
            spec.image: np.ascontiguousarray(x[None], np.float32),
            spec.target: np.array([class_index], np.int64)})))
        values, scale = gradient_magnitude(out[spec.gradients[0]][0])
        used = int(out[spec.target_used][0])
        return ExplainMap("input gradient", "the input image", used, self._label(used),
                          "|d logit / d pixel| summed over channels, " + GRADIENT_NORMALISATION,
                          values, scale)

    def grad_cam(self, x: np.ndarray, class_index: int = TOP1) -> ExplainMap:
        """Grad-CAM of one model-space image at the last spatial feature map."""
        layer = self.parts.spatial_map
        if layer is None:
            raise ExplainUnavailable(f"{self.classifier.name} has no 4-D feature map with a "
                                     "spatial size above 1: Grad-CAM is not defined for it")
        session, spec = self._gradient_session("cam", layer.name)
        out = dict(zip([o.name for o in session.get_outputs()], session.run(None, {
            spec.image: np.ascontiguousarray(x[None], np.float32),
            spec.target: np.array([class_index], np.int64)})))
        values, peak = grad_cam(out[spec.values[0]][0], out[spec.gradients[0]][0], x.shape[1:])
        used = int(out[spec.target_used][0])
        return ExplainMap("Grad-CAM", layer.name, used, self._label(used),
                          "d logit / d activation, " + CAM_NORMALISATION, values, peak)

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Each block's activation for one model-space image, input to output."""
        session, _ = self._blocks_session()
        return [a[0] for a in session.run(None, {
            self.classifier.input_name: np.ascontiguousarray(x[None], np.float32)})]

    def divergence(self, clean: np.ndarray, adversarial: np.ndarray) -> Divergence:
        clean_acts, _ = self._clean(clean)
        return divergence(tuple(b.name for b in self.parts.blocks), clean_acts,
                          self.activations(adversarial))

    def _clean(self, clean: np.ndarray) -> tuple[list[np.ndarray], ExplainMap | None]:
        """The clean photo's activations and Grad-CAM, computed once per photo."""
        key = np.ascontiguousarray(clean, np.float32).tobytes()
        if self._clean_cache is None or self._clean_cache[0] != key:
            cam = self.grad_cam(clean) if self.parts.spatial_map is not None else None
            self._clean_cache = (key, self.activations(clean), cam)
        return self._clean_cache[1], self._clean_cache[2]

    def frame(self, clean: np.ndarray, adversarial: np.ndarray, clean_class: int) -> ExplainFrame:
        """Every view of one step: the adversarial's input gradient for the clean top-1 class
        (where the attack acts), both Grad-CAMs for their own top-1, and the divergence."""
        _, cam_clean = self._clean(clean)
        cam_adv = self.grad_cam(adversarial) if self.parts.spatial_map is not None else None
        return ExplainFrame(self.input_gradient(adversarial, clean_class), cam_clean, cam_adv,
                            self.divergence(clean, adversarial))
