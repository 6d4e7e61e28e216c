"""Every backward rule, and random mixes of them, matches central finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

from advgui.core.autodiff import build_gradient_model
from tests.helpers.gradient_cases import CASES, c_gemm, c_residual_branches
from tests.helpers.gradient_harness import (DIRECTION, SHAPE, TARGET, _input, _model,
                                            _reference_gradient)
from tests.helpers.reference_ops import evaluator
from tests.helpers.tiny_graphs import Body, finite_difference


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(name: str) -> None:
    model = _model(CASES[name], np.float64)
    x = _input(np.float64)
    got = _reference_gradient(model, x)["gradient"]
    want = finite_difference(evaluator(model), x.copy(), TARGET, DIRECTION, False)
    assert np.abs(want).max() > 1e-4, "test model must have a non-trivial gradient"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_model_ending_in_softmax_differentiates_its_logits() -> None:
    model = _model(c_residual_branches, np.float64, softmax_output=True)
    x = _input(np.float64)
    got = _reference_gradient(model, x)
    want = finite_difference(evaluator(model), x.copy(), TARGET, DIRECTION, True)
    np.testing.assert_allclose(got["gradient"], want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got["probabilities"].sum(axis=1), 1.0)


@pytest.mark.parametrize("seed", range(4))
def test_random_mixed_models(seed: int) -> None:
    """Random stacks of residual blocks, branches and pools, different each seed."""
    rng = np.random.default_rng(100 + seed)
    b = Body(SHAPE, np.float64, seed)
    h, c = "x", 2
    for _ in range(3):
        kind = rng.integers(0, 4)
        if kind == 0:
            h2 = b.op("Relu", [b.conv(h, c, c, pads=[1, 1, 1, 1])])
            h = b.op("Add", [h, h2])
        elif kind == 1:
            a = b.conv(h, c, 2, k=1)
            p = b.op("MaxPool", [h], kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1])
            h, c = b.op("Concat", [a, p], axis=1), c + 2
        elif kind == 2:
            h = b.op("Tanh", [b.op("AveragePool", [b.conv(h, c, c, pads=[1, 1, 1, 1])],
                                   kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])])
        else:
            h = b.op("Clip", [b.op("Mul", [h, b.weight(c, 1, 1)]), b.const(-1.0), b.const(1.0)])
    model = b.classifier(h)
    x = _input(np.float64, seed)
    got = _reference_gradient(model, x)["gradient"]
    want = finite_difference(evaluator(model), x.copy(), TARGET, DIRECTION, False)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_loss_is_cross_entropy_and_direction_flips_gradient() -> None:
    model = _model(c_gemm, np.float64)
    x = _input(np.float64)
    got = _reference_gradient(model, x)
    p = got["probabilities"]
    np.testing.assert_allclose(got["loss"], -np.log(p[[0, 1], TARGET]))
    single, spec = build_gradient_model(model)
    ev = evaluator(single)
    g_plus = ev.run(None, {spec.image: x, spec.target: TARGET, spec.direction: np.ones(2)})[2]
    g_minus = ev.run(None, {spec.image: x, spec.target: TARGET, spec.direction: -np.ones(2)})[2]
    np.testing.assert_allclose(g_plus, -g_minus)
