"""The Demo lessons' table and their sentences: every lesson names a bundled photo and settings
the attack panel offers, and the sentence read aloud never claims a point the run did not show."""

from __future__ import annotations

import numpy as np

from advgui.core.app_state.lessons import (LESSONS, LessonResult, Scored, explanation,
                                           jpeg_probabilities, lesson)
from advgui.core.attacks import METHODS
from advgui.samples import FOLDER, credits


def test_every_lesson_names_a_bundled_photo_and_panel_settings() -> None:
    listed = {row["file"].split("/")[-1] for row in credits()}
    assert 3 <= len(LESSONS) <= 5
    for item in LESSONS:
        assert (FOLDER / item.photo).is_file() and item.photo in listed
        assert item.runs and all(r.method in METHODS and r.eps > 0 for r in item.runs)
        assert item.check in ("", "jpeg", "second-model")
    assert len({item.photo for item in LESSONS}) == len(LESSONS)  # one photo a lesson


def _s(name: str, p: float) -> Scored:
    return Scored(name, p)


def test_fast_vs_iterative_says_many_steps_win_only_when_they_did() -> None:
    item = lesson("fast-vs-iterative")
    won = LessonResult(_s("cash machine", 0.998), [_s("cash machine", 0.928), _s("web site", 0.94)])
    assert "many small steps win" in explanation(item, won)
    assert "leaves 'cash machine' at 92.8\u00a0%" in explanation(item, won)
    both = LessonResult(_s("cash machine", 0.998), [_s("toaster", 0.5), _s("web site", 0.94)])
    assert "already makes it 'toaster'" in explanation(item, both)
    assert "win" not in explanation(item, both)


def test_the_checks_say_what_the_check_found() -> None:
    jpeg = lesson("jpeg")
    back = LessonResult(_s("ostrich", 0.998), [_s("bathing cap", 1.0)],
                        target=_s("bathing cap", 1e-6), checked=_s("ostrich", 0.83))
    assert "again: compression wiped the attack out" in explanation(jpeg, back)
    kept = LessonResult(_s("ostrich", 0.998), [_s("bathing cap", 1.0)],
                        target=_s("bathing cap", 1e-6), checked=_s("bathing cap", 0.6))
    assert "wiped" not in explanation(jpeg, kept)
    transfer = lesson("transfer")
    fooled = LessonResult(_s("necklace", 0.99), [_s("stage", 0.999)], target=_s("stage", 1e-6),
                          checked=_s("stage", 0.4), checked_clean=_s("necklace", 0.98),
                          second_model="EfficientNet-Lite0")
    assert explanation(transfer, fooled).endswith("the attack transfers.")
    missed = LessonResult(_s("necklace", 0.99), [_s("necklace", 0.6)], target=_s("stage", 1e-6))
    assert "least likely" not in explanation(lesson("least-likely"), missed)
    assert "did not fool" in explanation(transfer, missed)


def test_the_jpeg_check_scores_the_compressed_image(tiny_model) -> None:
    from advgui.core.model.classifier import Classifier

    clf = Classifier.load(tiny_model, device="cpu")
    pixels = np.random.default_rng(0).integers(0, 256, (clf.size, clf.size, 3), dtype=np.uint8)
    probs = jpeg_probabilities(clf, pixels)
    assert probs.shape == (clf.num_classes,) and abs(probs.sum() - 1) < 1e-6
    assert not np.allclose(probs, clf.probabilities(clf.preprocessing.to_model(pixels[None]))[0])
