"""The explanation views on the tiny classifier, and the parts found in the shipped graphs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from advgui.core.explain import Explainer, find_parts
from advgui.core.explain.maps import divergence, grad_cam
from advgui.core.model.classifier import Classifier
from tests.helpers.models import SIZE, images, tiny_classifier_model

MODELS = Path(__file__).resolve().parents[3] / "models"


@pytest.fixture(scope="module")
def explainer() -> Explainer:
    return Explainer(Classifier(tiny_classifier_model(), name="tiny", device="cpu"))


def test_tiny_parts_are_the_cuts_named_as_the_model_names_them(explainer: Explainer) -> None:
    parts = explainer.parts
    ops = [n.op_type for n in explainer.classifier.model.graph.node]
    assert parts.spatial_map is not None and parts.spatial_map.op_type == "Conv"
    assert parts.spatial_map.shape[2:] == (8, 8)
    # The Conv is the last cut before the global pool shrinks the map to 1 x 1.
    # (the global pool itself is left out: the features are its flattened copy)
    assert [b.op_type for b in parts.blocks] == ["MaxPool", "Conv", "Flatten"]
    assert parts.features is not None and parts.features.name == parts.blocks[-1].name
    names = {o for n in explainer.classifier.model.graph.node for o in n.output}
    assert {b.name for b in parts.blocks} <= names and "Gemm" in ops


def test_inception_parts() -> None:
    model = onnx.load(str(MODELS / "inception_v3.onnx"), load_external_data=False)
    parts = find_parts(model, (3, 299, 299))
    assert parts.spatial_map is not None and parts.spatial_map.name == "mixed_10"
    names = [b.name for b in parts.blocks]
    assert names[names.index("mixed"):] == ["mixed"] + [f"mixed_{i}" for i in range(1, 11)] + [
        "features"]
    assert "maxpool_1" in names and "maxpool_2" in names


def test_maps_say_what_they_are(explainer: Explainer) -> None:
    x = images(1)[0]
    top1 = int(explainer.classifier.probabilities(x[None])[0].argmax())
    gradient = explainer.input_gradient(x, 3)
    cam = explainer.grad_cam(x)
    assert gradient.values.shape == (SIZE, SIZE) and cam.values.shape == (SIZE, SIZE)
    assert 0 <= gradient.values.min() and gradient.values.max() <= 1
    assert gradient.class_index == 3 and cam.class_index == top1
    assert "99th percentile" in gradient.caption() and "c3" not in gradient.caption()
    assert explainer.parts.spatial_map.name in cam.caption()
    assert explainer.classifier.classes.label(top1) in cam.caption()


def test_input_gradient_is_the_engine_gradient_of_the_logit(explainer: Explainer) -> None:
    """The map's gradient is d logit_c / d x: checked by differences of the logit itself along
    the gradient (a large directional derivative, so float32 rounding stays small)."""
    x = images(1, seed=4)[0].astype(np.float32)
    m = explainer.input_gradient(x, 2)
    session, spec = explainer._gradient_session("image", explainer.parts.image)
    out = dict(zip([o.name for o in session.get_outputs()],
                   session.run(None, {spec.image: x[None], spec.target: np.array([2])})))
    grad = out[spec.gradients[0]][0].astype(np.float64)
    v = (grad * 1e-3 / np.linalg.norm(grad)).astype(np.float32)
    logit = lambda z: float(explainer.classifier._forward(z[None])[0, 2])  # noqa: E731
    fd = (logit(x + v) - logit(x - v)) / 2
    assert fd == pytest.approx(float((grad * v).sum()), rel=2e-2)
    assert m.scale > 0


def test_grad_cam_weights_channels_by_their_mean_gradient() -> None:
    activation = np.zeros((2, 2, 2), np.float32)
    activation[0, 0, 0] = 1.0
    activation[1, 1, 1] = 3.0
    gradient = np.stack([np.full((2, 2), 2.0), np.full((2, 2), -1.0)]).astype(np.float32)
    cam, peak = grad_cam(activation, gradient, (2, 2))
    assert peak == 2.0  # ReLU(2 * 1) at (0, 0); -3 at (1, 1) is cut to 0
    np.testing.assert_allclose(cam, [[1, 0], [0, 0]])


def test_divergence_of_an_image_with_itself_is_zero(explainer: Explainer) -> None:
    x, other = images(2, seed=2)
    same = explainer.divergence(x, x)
    assert same.blocks == tuple(b.name for b in explainer.parts.blocks)
    np.testing.assert_allclose(same.relative_l2, 0, atol=1e-7)
    np.testing.assert_allclose(same.cosine, 1, atol=1e-6)
    apart = explainer.divergence(x, other)
    assert (apart.relative_l2 > 0).all() and (apart.cosine < 1).all()


def test_divergence_numbers() -> None:
    d = divergence(("a",), [np.array([3.0, 4.0])], [np.array([3.0, 0.0])])
    assert d.relative_l2[0] == pytest.approx(4 / 5) and d.cosine[0] == pytest.approx(3 / 5)


def test_frame_keeps_the_clean_views(explainer: Explainer) -> None:
    x, adv = images(2, seed=3)
    top1 = int(explainer.classifier.probabilities(x[None])[0].argmax())
    frame = explainer.frame(x, adv, top1)
    assert frame.gradient.class_index == top1
    assert frame.cam_clean.class_index == top1
    adv_top1 = int(explainer.classifier.probabilities(adv[None])[0].argmax())
    assert frame.cam_adversarial.class_index == adv_top1


def test_a_model_without_gradient_rules_still_gets_its_divergence() -> None:
    """An operator without a backward rule (here Sin) stops the maps, not the strip."""
    from onnx import helper

    from advgui.core.explain.steps import StepsAsked, explain_steps

    model = tiny_classifier_model()
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    conv_out = conv.output[0]
    conv.output[0] = conv_out + "_pre"
    position = list(model.graph.node).index(conv) + 1
    model.graph.node.insert(position, helper.make_node("Sin", [conv_out + "_pre"], [conv_out]))
    explainer = Explainer(Classifier(model, name="sin", device="cpu"))
    explainer.prepare()
    pre = explainer.classifier.preprocessing
    clean, adv = (pre.to_uint8(x[None])[0] for x in images(2, seed=5))
    done = explain_steps(explainer, StepsAsked("k", clean, ((1, adv),), (1, adv)))
    assert done.frame is None and "Sin" in done.problem
    assert done.divergence[1].relative_l2.shape == (len(explainer.parts.blocks),)
