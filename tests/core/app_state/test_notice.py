"""The window state's status message is dropped when what it is about leaves the screen."""

from __future__ import annotations

import pytest

from advgui.core.app_state.window_state import ModelInfo, WindowState


def _model(sha: str) -> ModelInfo:
    return ModelInfo(sha, "CPU", ("a", "b"), ("n1", "n2"), 8, (1.0, 1.0, 1.0), sha)


def _state() -> tuple[WindowState, list[str | None]]:
    state = WindowState()
    state.model_loaded(_model("m1"))
    state.new_folder()
    state.select("one.png")
    said: list[str | None] = []
    state.subscribe("notice", lambda: said.append(state.notice.text if state.notice else None))
    return state, said


@pytest.mark.parametrize("change", ["image", "model", "folder"])
def test_a_message_about_everything_goes_with_any_of_it(change) -> None:
    state, said = _state()
    state.tell("Done: a (99.9 %)")
    {"image": lambda: state.select("two.png"), "model": lambda: state.model_loaded(_model("m2")),
     "folder": state.new_folder}[change]()
    assert state.notice is None and said == ["Done: a (99.9 %)", None]


def test_a_message_about_the_model_stays_across_images_and_folders() -> None:
    state, _ = _state()
    state.tell("Saved model.json beside the model", about=("model",))
    state.select("two.png")
    state.new_folder()
    assert state.notice is not None
    state.model_loaded(_model("m2"))
    assert state.notice is None


def test_a_message_about_an_image_left_is_never_said() -> None:
    state, said = _state()
    state.tell("Text size ×1.5", about=())
    state.tell("Done: b", image="elsewhere.png")
    assert said == ["Text size ×1.5"] and state.notice.text == "Text size ×1.5"
    state.select("two.png")
    assert state.notice.text == "Text size ×1.5"  # about nothing on screen: stays


def test_an_unknown_subject_is_refused() -> None:
    state, _ = _state()
    with pytest.raises(ValueError):
        state.tell("x", about=("colour",))
