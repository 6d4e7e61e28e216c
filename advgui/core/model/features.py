"""A classifier's penultimate features: the input of its last linear layer (the Gemm or MatMul
nearest the logits), read by adding that tensor as an extra output on a copy of the graph.

The study projects these features of each clean image and its adversarial to 2-D
(analysis/projection.py); the model file itself is never changed.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import onnx

from advgui.core.model.classifier import Classifier
from advgui.core.model.session import create_session

LINEAR_OPS = ("Gemm", "MatMul")


class FeatureError(ValueError):
    """The graph has no linear layer before its logits; the message says so, for the user."""


def penultimate_tensor(model: onnx.ModelProto) -> str:
    """The data input of the linear layer nearest the model's first output, found breadth-first
    backwards (a calibration or a softmax after the classifier layer is walked through; the
    shipped InceptionV3's 'features', the 2,048 pooled activations)."""
    constants = {t.name for t in model.graph.initializer}
    constants |= {o for n in model.graph.node if n.op_type == "Constant" for o in n.output}
    producer = {o: n for n in model.graph.node for o in n.output}
    queue, seen = deque([model.graph.output[0].name]), set()
    while queue:
        name = queue.popleft()
        node = producer.get(name)
        if node is None or name in seen:
            continue
        seen.add(name)
        data = [i for i in node.input if i and i not in constants]
        if node.op_type in LINEAR_OPS and data:
            return data[0]
        queue.extend(data)
    raise FeatureError("the model has no Gemm or MatMul before its output: no penultimate "
                       "features to project")


class FeatureExtractor:
    """The classifier's graph with its penultimate tensor as a second output, in its own
    session on the classifier's device (built once per study run)."""

    def __init__(self, classifier: Classifier) -> None:
        model = onnx.ModelProto()
        model.CopyFrom(classifier.model)  # the batched rewrite, when the classifier made one
        self.tensor = penultimate_tensor(model)
        del model.graph.output[1:]
        model.graph.output.append(onnx.helper.make_empty_tensor_value_info(self.tensor))
        device = classifier.device.used
        self.session, _ = create_session(model.SerializeToString(),
                                         device if device.startswith("cuda") else "cpu")
        self.input_name = classifier.input_name
        self.one_at_a_time = classifier._one_at_a_time  # a fixed batch of 1 that took no rewrite

    def features(self, x: np.ndarray) -> np.ndarray:
        """[N, D] float32 features of model-unit inputs [N, 3, H, W] (flattened per image)."""
        x = np.ascontiguousarray(x, np.float32)
        if self.one_at_a_time and len(x) > 1:
            return np.concatenate([self.features(x[i:i + 1]) for i in range(len(x))])
        f = self.session.run([self.session.get_outputs()[1].name], {self.input_name: x})[0]
        return np.asarray(f, np.float32).reshape(len(x), -1)
