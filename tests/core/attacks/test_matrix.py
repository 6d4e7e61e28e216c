"""Every registered attack against every target on the tiny model (foolbox's attack matrix):
each step stays in the eps-ball and the valid range, one instance runs twice or interleaved with
identical results (its state belongs to the run), and the attack does what it is for."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from advgui.core.attacks import (METHODS, AttackResult, StepRecord, Target, attack_from_settings,
                                 run_to_end)
from advgui.core.model.classifier import Classifier
from tests.helpers.models import SIZE, tiny_classifier_model

TARGETS = ("least-likely", "least-likely-top5", "inverse", "true", "class:3")
EPS = 8.0
KEYS = ("a.png", "b.png", "c.png", "d.png")
TOLERANCE = 1e-3  # pixel levels: float32 rounding only
# Methods that are baselines, not attacks: not expected to move the objective their way.
CONTROLS = ("noise",)


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(tiny_classifier_model(), name="tiny", device="cpu")


@pytest.fixture(scope="module")
def batch(clf) -> tuple[np.ndarray, np.ndarray]:
    """Four images (seed 7: none saturates the tiny model's gradient) and, as their true labels,
    the clean top-1, so the clean accuracy is 1 (foolbox attacks correctly classified images)."""
    pixels = np.random.default_rng(7).integers(0, 256, (4, SIZE, SIZE, 3)).astype(np.uint8)
    x = clf.preprocessing.to_model(pixels)
    return x, clf.probabilities(x).argmax(axis=1)


def _attack(method: str):
    return attack_from_settings(method, eps=EPS, seed=5)


def _run(attack, clf, x, truth, target, keys=KEYS) -> tuple[list[StepRecord], AttackResult]:
    records: list[StepRecord] = []
    result = run_to_end(attack.run(clf, x, Target.parse(target), truth, keys=list(keys)),
                        records.append)
    return records, result


def _assert_same(a, b) -> None:
    """Two step records or results, field by field, bit for bit."""
    for field in dataclasses.fields(a):
        va, vb = getattr(a, field.name), getattr(b, field.name)
        if isinstance(va, np.ndarray):
            np.testing.assert_array_equal(va, vb, err_msg=field.name)
        else:
            assert va == vb, field.name


def _same_run(one, other) -> None:
    (steps_a, result_a), (steps_b, result_b) = one, other
    assert len(steps_a) == len(steps_b)
    for a, b in zip(steps_a, steps_b):
        _assert_same(a, b)
    _assert_same(result_a, result_b)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("method", METHODS)
def test_every_step_stays_in_the_ball_and_the_range(clf, batch, method, target) -> None:
    x, truth = batch
    attack = _attack(method)
    steps, result = _run(attack, clf, x, truth, target)
    assert len(steps) == attack.steps == result.steps_taken
    assert [s.step for s in steps] == list(range(1, attack.steps + 1))
    clean = clf.preprocessing.to_pixels(x)
    for record in steps + [dataclasses.replace(steps[-1], image=result.adversarial)]:
        pixels = clf.preprocessing.to_pixels(record.image)
        assert np.abs(pixels - clean).max() <= EPS + TOLERANCE
        assert pixels.min() >= -TOLERANCE and pixels.max() <= 255 + TOLERANCE
    saved = np.abs(result.pixels.astype(int) - clf.preprocessing.to_uint8(x).astype(int))
    assert saved.max() <= EPS  # the 8-bit image too


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("method", METHODS)
def test_one_instance_runs_twice_and_interleaved_alike(clf, batch, method, target) -> None:
    x, truth = batch
    attack = _attack(method)
    first = _run(attack, clf, x, truth, target)
    _same_run(first, _run(attack, clf, x, truth, target))
    # Two runs of the one instance, step by step in turn, on other batches: neither sees the
    # other's state (momentum's accumulated gradient, PGD's keys).
    other_x, other_truth, other_keys = x[::-1].copy(), truth[::-1].copy(), KEYS[::-1]
    alone = _run(attack, clf, other_x, other_truth, target, other_keys)
    runs = [attack.run(clf, x, Target.parse(target), truth, keys=list(KEYS)),
            attack.run(clf, other_x, Target.parse(target), other_truth, keys=list(other_keys))]
    seen: list[list[StepRecord]] = [[], []]
    results: list[AttackResult | None] = [None, None]
    while None in results:
        for i, run in enumerate(runs):
            if results[i] is None:
                try:
                    seen[i].append(next(run))
                except StopIteration as done:
                    results[i] = done.value
    _same_run(first, (seen[0], results[0]))
    _same_run(alone, (seen[1], results[1]))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("method", METHODS)
def test_the_attack_moves_every_image_its_way(clf, batch, method, target) -> None:
    """Towards a class, its cross-entropy falls; away from one, it rises and the accuracy falls
    (the tiny model is too confident for a towards attack of 8 levels to always change its
    top-1, so the accuracy is asserted only for the untargeted ones)."""
    x, truth = batch
    _, result = _run(_attack(method), clf, x, truth, target)
    assert not any(result.problems)
    rows = np.arange(len(x))
    before = -np.log(result.clean_probabilities[rows, result.target])
    after = -np.log(result.pixel_probabilities[rows, result.target])
    if method in CONTROLS:
        # The control follows no gradient, so it is not expected to raise the objective: it
        # must move it its way less than the one-step attack of the same size does, and change
        # every image by exactly eps (8-bit), as the attacks do.
        _, fast = _run(_attack("fast"), clf, x, truth, target)
        rise = result.direction * (after - before)
        fast_rise = fast.direction * (-np.log(fast.pixel_probabilities[rows, fast.target])
                                      - before)
        assert rise.mean() < fast_rise.mean()
        saved = np.abs(result.pixels.astype(int) - clf.preprocessing.to_uint8(x).astype(int))
        assert saved.reshape(len(x), -1).max(axis=1).tolist() == [EPS] * len(x)
        return
    assert np.all(result.direction * (after - before) > 0)  # the objective rose, every image
    if np.all(result.direction > 0):
        assert (result.pixel_probabilities.argmax(axis=1) == truth).mean() < 1.0
