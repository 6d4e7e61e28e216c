"""Issue 15: PGD and momentum (MI-FGSM) beside the fast and iterative methods, on the tiny model:
PGD's seeded start inside the ball, momentum against a hand computation, and both as steps."""

from __future__ import annotations

import numpy as np
import pytest

from advgui.core.attacks import (METHODS, AttackRun, MomentumGradientSign, ProjectedGradientDescent,
                                 Target, make_attack, run_to_end)
from advgui.core.model.classifier import Classifier
from tests.helpers.models import SIZE, tiny_classifier_model


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(tiny_classifier_model(), name="tiny", device="cpu")


def _x(clf: Classifier, n: int = 3, seed: int = 4) -> np.ndarray:
    pixels = np.random.default_rng(seed).integers(0, 256, (n, SIZE, SIZE, 3)).astype(np.uint8)
    return clf.preprocessing.to_model(pixels)


def _run(attack, clf, x, target="least-likely"):
    steps = []
    result = run_to_end(attack.run(clf, x, Target.parse(target)), steps.append)
    return steps, result


def test_pgd_starts_inside_the_ball_and_is_seeded(clf) -> None:
    x = _x(clf)
    pre = clf.preprocessing
    least_likely = Target.parse("least-likely")
    starts = []
    for seed in (0, 0, 1):
        attack = ProjectedGradientDescent(eps=8.0, seed=seed)
        # the images' keys are an argument of the run, not a setting of the attack
        run = AttackRun.begin(clf, x, 8.0, least_likely, keys=["a.png", "b.png", "c.png"])
        starts.append(attack._start(run))
    np.testing.assert_array_equal(starts[0], starts[1])  # the same seed: the same start
    assert not np.allclose(starts[0], starts[2])  # another seed: another start
    levels = np.abs(pre.to_pixels(starts[0]) - pre.to_pixels(x))
    assert levels.max() <= 8.0 + 1e-3 and levels.mean() > 2.0  # inside, and really random
    # an image's start is its own, whichever batch it is in
    alone = ProjectedGradientDescent(eps=8.0, seed=0)
    one = alone._start(AttackRun.begin(clf, x[1:2], 8.0, least_likely, keys=["b.png"]))
    np.testing.assert_array_equal(one[0], starts[0][1])
    steps, result = _run(ProjectedGradientDescent(eps=8.0, seed=0), clf, x)
    assert len(steps) == 10 and result.steps_taken == 10  # the paper's 10 steps of 2 levels
    final = np.abs(result.pixels.astype(int) - pre.to_uint8(x).astype(int))
    assert final.max() <= 8


def test_momentum_matches_a_hand_computation_over_three_steps(clf) -> None:
    x = _x(clf, n=2)
    pre = clf.preprocessing
    attack = MomentumGradientSign(eps=6.0, steps=3)
    assert attack.alpha == pytest.approx(2.0) and attack.decay == 1.0  # eps / steps, mu = 1
    steps, _ = _run(attack, clf, x)
    clean = clf.probabilities(x)
    tgt, direction = Target.parse("least-likely").resolve(clean)
    lo, hi = pre.bounds()
    ball = pre.pixel_step(6.0)
    lo, hi = np.maximum(x - ball, lo), np.minimum(x + ball, hi)
    g = np.zeros_like(x, dtype=np.float64)
    adv = x.copy()
    for k in range(3):
        grad = clf.gradient(adv, tgt, direction).gradient.astype(np.float64)
        g = 1.0 * g + grad / np.abs(grad).reshape(2, -1).sum(axis=1)[:, None, None, None]
        adv = np.minimum(np.maximum(adv + pre.pixel_step(2.0) * np.sign(g), lo), hi)
        np.testing.assert_allclose(steps[k].image, adv, atol=1e-6)


def test_every_method_of_the_family_is_made_by_name_with_its_defaults() -> None:
    # noise: the control; square: the gradient-free attack (issue 27)
    assert METHODS == ("fast", "iterative", "pgd", "momentum", "noise", "square")
    iterative = make_attack("iterative", eps=8)
    assert iterative.steps == 10 and iterative.alpha == 1.0
    assert make_attack("pgd", eps=8).steps == 10 and make_attack("pgd", eps=8).alpha == 2.0
    assert make_attack("momentum", eps=16).alpha == pytest.approx(1.6)
    assert make_attack("noise", eps=8).steps == 1 and make_attack("noise", eps=8).alpha is None
    assert make_attack("pgd", eps=8, alpha=1, steps=3).steps == 3
    with pytest.raises(ValueError, match="unknown method"):
        make_attack("deepfool", eps=8)


def _folder(tmp_path, seed: int):
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / f"n{i:08d}_{i}.png")
    return folder


def _study(clf, config):
    from advgui.core.study.engine import Study

    gen = Study(clf, config).run()
    while True:
        try:
            next(gen)
        except StopIteration as done:
            return done.value


def test_a_study_runs_pgd_and_momentum_and_resumes_keyed_by_method(tmp_path, clf) -> None:
    from advgui.core.study.engine import StudyConfig

    cfg = StudyConfig(folder=_folder(tmp_path, 1), out=tmp_path / "out",
                      methods=("pgd", "momentum"), targets=("least-likely",), eps=(8.0,), batch=2)

    def run(config):
        return _study(clf, config)

    first = run(cfg)
    assert first.rows == 8 and {r["method"] for r in first.summary} == {"pgd", "momentum"}
    again = run(cfg)
    assert again.new_rows == 0  # keyed by method: nothing redone
    more = run(StudyConfig(**{**cfg.__dict__, "methods": ("pgd", "momentum", "fast")}))
    assert more.new_rows == 4 and more.rows == 12


def test_a_study_of_several_eps_draws_error_against_eps(tmp_path, clf) -> None:
    from advgui.core.study.engine import StudyConfig

    folder = _folder(tmp_path, 2)

    def run(eps, out):
        return _study(clf, StudyConfig(folder=folder, out=out, targets=("least-likely",),
                                       eps=eps, batch=4))

    run((8.0,), tmp_path / "one")
    assert not (tmp_path / "one" / "error_vs_eps.png").exists()  # one eps: no curve to draw
    run((2.0, 4.0, 8.0), tmp_path / "three")
    png = (tmp_path / "three" / "error_vs_eps.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
