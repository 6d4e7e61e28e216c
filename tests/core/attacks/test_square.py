"""Square Attack (issue 27): gradient-free, seeded per image, never over its query budget, honest
to 8 bits, its queries-to-flip counted as the queries until the top-1 changed; it runs on a model
whose gradient graph cannot be built."""

from __future__ import annotations

import numpy as np
import pytest

from advgui.core.attacks import SquareAttack, Target, make_attack, run_to_end
from advgui.core.attacks.square import p_selection, square_side
from advgui.core.model.classifier import Classifier, ModelError
from tests.helpers.models import images, no_gradient_model, tiny_classifier_model


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(tiny_classifier_model(), name="tiny", device="cpu")


class Counting:
    """A classifier that counts how many images it is asked to score, batch by batch."""

    def __init__(self, inner: Classifier) -> None:
        self.inner, self.batches = inner, []
        self.preprocessing = inner.preprocessing

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        self.batches.append(len(x))
        return self.inner.probabilities(x)


def _keys(n: int) -> list[str]:
    return [f"photo_{i}.png" for i in range(n)]


def _run(clf, x, target="inverse", keys=None, records=None, **params):
    attack = make_attack("square", **params)
    return attack, run_to_end(attack.run(clf, x, Target.parse(target),
                                         keys=keys or _keys(len(x))),
                              None if records is None else records.append)


def test_the_schedule_is_the_papers_scaled_to_the_budget() -> None:
    assert p_selection(0.05, 0, 10_000) == 0.05
    assert p_selection(0.05, 11, 10_000) == 0.025
    assert p_selection(0.05, 9_999, 10_000) == 0.05 / 2 ** 9
    # A budget of 1,000 halves p ten times sooner: at iteration 1 (= 10 of 10,000) not yet
    assert p_selection(0.05, 1, 1_000) == 0.05
    assert p_selection(0.05, 2, 1_000) == 0.025
    assert p_selection(0.05, 999, 1_000) == 0.05 / 2 ** 9
    assert square_side(0.05, 299, 299) == 67  # sqrt(0.05 * 299^2) = 66.9
    assert square_side(1e-6, 299, 299) == 1


def test_same_seed_and_key_same_result_whatever_the_batch(clf) -> None:
    x = images(4)
    _, whole = _run(clf, x, queries=60, seed=3)
    _, again = _run(clf, x, queries=60, seed=3)
    _, alone = _run(clf, x[2:3], keys=_keys(4)[2:3], queries=60, seed=3)
    _, other = _run(clf, x, queries=60, seed=4)
    assert np.array_equal(whole.pixels, again.pixels)
    assert np.array_equal(whole.queries_to_flip, again.queries_to_flip)
    assert np.array_equal(whole.pixels[2], alone.pixels[0])
    assert whole.queries_used[2] == alone.queries_used[0]
    assert not np.array_equal(whole.pixels, other.pixels)


@pytest.mark.parametrize("target", ["inverse", "least-likely"])
def test_never_more_queries_than_the_budget(clf, target) -> None:
    counting = Counting(clf)
    x = images(5)
    clean = clf.probabilities(x)
    attack = make_attack("square", queries=40)
    result = run_to_end(attack.run(counting, x, Target.parse(target), clean=clean,
                                   keys=_keys(5)))
    assert result.queries_used.max() <= 40
    # every image scored by the search is a counted query (finish re-scores the result once)
    assert sum(counting.batches[:-1]) == int(result.queries_used.sum())


@pytest.mark.parametrize("eps", [8.0, 3.5, 0.5])
def test_the_adversarial_is_8_bit_and_within_eps(clf, eps) -> None:
    x = images(3)
    _, result = _run(clf, x, eps=eps, queries=50)
    clean = clf.preprocessing.to_uint8(x).astype(int)
    linf = np.abs(result.pixels.astype(int) - clean).max()
    assert linf == int(np.floor(eps))  # whole levels only: 3 for 3.5, none below one level
    # the image it scored is the PNG's: the float and 8-bit verdicts agree exactly
    assert np.allclose(result.adversarial_probabilities, result.pixel_probabilities)


def test_queries_to_flip_is_the_query_the_top1_first_changed(clf) -> None:
    x = images(6)
    counting = Counting(clf)
    clean = clf.probabilities(x)
    records = []
    attack = make_attack("square", queries=200)
    result = run_to_end(attack.run(counting, x, Target.parse("inverse"), clean=clean,
                                   keys=_keys(6)), records.append)
    flipped = result.queries_to_flip > 0
    assert flipped.any() and (~flipped).any()  # the test sees both kinds
    top1 = result.pixel_probabilities.argmax(1) != clean.argmax(1)
    # away from the clean class, a flip ends the search: it used exactly its queries-to-flip
    assert np.array_equal(result.queries_used[flipped], result.queries_to_flip[flipped])
    assert top1[flipped].all() and not top1[~flipped].any()
    assert (result.queries_used[~flipped] == 200).all()
    assert all(r.step <= attack.steps for r in records)
    assert (result.first_flip_step[flipped] >= 1).all()
    assert (result.first_flip_step[~flipped] == -1).all()


def test_targeted_reaches_the_target_on_an_easy_model() -> None:
    easy = Classifier(tiny_classifier_model(classes=3), name="three", device="cpu")
    x = images(6)
    _, result = _run(easy, x, target="least-likely", eps=64, queries=1000)
    reached = result.pixel_probabilities.argmax(1) == result.target
    assert reached.sum() >= 5, result.queries_used
    assert (result.queries_used[reached] < 1000).all()  # it stops at its goal


def test_runs_on_a_model_whose_gradient_graph_cannot_be_built() -> None:
    bare = Classifier(no_gradient_model(), name="sin", device="cpu")
    x = images(3)
    with pytest.raises(ModelError, match="odd_sin"):
        bare.ensure_gradient()
    _, result = _run(bare, x, queries=30)
    assert result.pixels.shape == (3, *result.pixels.shape[1:])
    assert not any(result.problems)
    assert not SquareAttack.uses_gradient


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="queries"):
        make_attack("square", queries=0)
    with pytest.raises(ValueError, match="p_init"):
        make_attack("square", p_init=1.5)
    with pytest.raises(ValueError, match="takes eps, queries, p_init, seed"):
        make_attack("square", steps=10)
