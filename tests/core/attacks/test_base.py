"""The Attack base type: its entry catches an attack that leaves the eps-ball or the valid
range, keeps its checks its own, and the registry makes attacks by name with checked parameters."""

from __future__ import annotations

from typing import ClassVar, Generator

import numpy as np
import pytest

from advgui.core.attacks import (ATTACKS, METHODS, STEPPED, Attack, AttackInvariantError,
                                 AttackResult, AttackRun, FastGradientSign, StepRecord, Target,
                                 attack_from_settings, finish, make_attack, run_to_end)
from advgui.core.model.classifier import Classifier
from tests.helpers.models import SIZE, tiny_classifier_model


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(tiny_classifier_model(), name="tiny", device="cpu")


def _x(clf: Classifier, value: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (2, SIZE, SIZE, 3)).astype(np.uint8)
    if value is not None:
        pixels[:] = value
    return clf.preprocessing.to_model(pixels)


class Overstep(Attack):
    """A broken attack: its ``bad_step``-th step adds ``levels`` to every pixel, ball or no ball,
    range or no range."""

    name: ClassVar[str] = "overstep"
    is_iterative: ClassVar[bool] = True

    def __init__(self, *, eps: float = 4.0, levels: float = 5.0, bad_step: int = 2,
                 steps: int = 3) -> None:
        self.eps, self.alpha, self.steps = eps, 1.0, steps
        self.levels, self.bad_step = levels, bad_step

    def _perturb(self, run: AttackRun) -> Generator[StepRecord, None, AttackResult]:
        pre = run.preprocessing
        adv = run.x
        for step in range(1, self.steps + 1):
            size = self.levels if step == self.bad_step else 0.0
            adv = run.x + pre.pixel_step(size)
            probs = run.classifier.probabilities(adv)
            yield StepRecord(step, self.steps, probs, np.zeros(len(adv)), adv)
        return finish(run.classifier, run.clean, adv, run.target, run.direction, self.steps,
                      np.full(len(adv), -1), [""] * len(adv))


def test_a_step_outside_the_ball_is_caught_at_that_step(clf) -> None:
    gen = Overstep(eps=4.0, levels=5.0, bad_step=2).run(clf, _x(clf), Target.parse("inverse"))
    assert next(gen).step == 1  # inside: passes
    with pytest.raises(AttackInvariantError, match=r"left the eps-ball at step 2.*eps 4"):
        next(gen)


def test_a_step_outside_the_valid_range_is_caught(clf) -> None:
    # white images: one level up stays in a 4-level ball but leaves 0-255
    attack = Overstep(eps=4.0, levels=1.0, bad_step=1)
    with pytest.raises(AttackInvariantError, match="left the valid range at step 1"):
        run_to_end(attack.run(clf, _x(clf, value=255), Target.parse("inverse")))


def test_a_result_outside_the_ball_is_caught(clf) -> None:
    attack = Overstep(eps=4.0, levels=5.0, bad_step=3, steps=3)
    with pytest.raises(AttackInvariantError, match="step 3"):
        run_to_end(attack.run(clf, _x(clf), Target.parse("inverse")))


def test_rounding_at_the_balls_edge_is_no_violation(clf) -> None:
    """Exactly eps (plus float32 rounding) is inside."""
    steps: list[StepRecord] = []
    mid_grey = _x(clf, value=128)  # 4 levels up stays in 0-255
    run_to_end(Overstep(eps=4.0, levels=4.0).run(clf, mid_grey, Target.parse("inverse")),
               steps.append)
    assert len(steps) == 3


def test_the_checked_entry_cannot_be_replaced() -> None:
    with pytest.raises(TypeError, match="overrides run"):
        class Unchecked(FastGradientSign):  # noqa: F841
            def run(self, *args, **kwargs):
                return super().run(*args, **kwargs)


def test_image_keys_must_name_every_image(clf) -> None:
    with pytest.raises(ValueError, match="1 image keys for a batch of 2"):
        run_to_end(make_attack("pgd", eps=8).run(clf, _x(clf), Target.parse("inverse"),
                                                 keys=["a.png"]))


def test_the_registry_is_typed_and_derives_the_method_lists() -> None:
    assert METHODS == tuple(ATTACKS) == ("fast", "iterative", "pgd", "momentum",
                                               "noise", "square")
    assert STEPPED == ("iterative", "pgd", "momentum")
    for name, cls in ATTACKS.items():
        assert issubclass(cls, Attack) and cls.name == name
        attack = make_attack(name, eps=8)
        assert attack.steps >= 1 and attack.step_size > 0
        assert (attack.alpha is None) == (not cls.is_iterative)
        with pytest.raises(TypeError):
            cls(8)  # hyper-parameters are keyword-only
    assert [n for n, c in ATTACKS.items() if c.uses_random_start] == ["pgd", "noise", "square"]
    with pytest.raises(TypeError):
        ATTACKS["deepfool"] = FastGradientSign  # type: ignore[index]


def test_make_attack_checks_its_parameters() -> None:
    with pytest.raises(ValueError, match="'fast' takes eps; not alpha, steps"):
        make_attack("fast", eps=8, alpha=2, steps=3)
    with pytest.raises(ValueError, match="takes eps, alpha, steps, seed; not decay"):
        make_attack("pgd", eps=8, decay=0.5)
    with pytest.raises(ValueError, match="eps must be"):
        make_attack("iterative", eps=0)
    assert make_attack("momentum", eps=8, alpha=None).alpha == pytest.approx(0.8)  # None: default
    assert make_attack("momentum", eps=8, decay=0.5).decay == 0.5
    assert repr(make_attack("pgd", eps=8, seed=3)) == \
        "ProjectedGradientDescent(eps=8.0, alpha=2.0, steps=10, seed=3)"


def test_shared_settings_go_to_the_methods_that_take_them() -> None:
    fast = attack_from_settings("fast", eps=6, alpha=2, steps=3, seed=1)
    assert isinstance(fast, FastGradientSign) and fast.alpha is None and fast.steps == 1
    assert fast.step_size == 6  # the summary's alpha column of the fast method
    pgd = attack_from_settings("pgd", eps=6, alpha=2, steps=3, seed=1)
    assert (pgd.alpha, pgd.steps, pgd.seed) == (2.0, 3, 1)
    assert attack_from_settings("iterative", eps=6, alpha=None, steps=None, seed=1).steps == 7


def test_importing_the_attacks_loads_no_onnx() -> None:
    """The readers (records, analysis) name targets and methods; that must not load the model
    stack (the classifier is a type hint only)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = ("import sys, advgui.core.attacks; "
            "print(sorted(m for m in ('onnx', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
