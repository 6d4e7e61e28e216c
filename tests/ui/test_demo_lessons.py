"""Issue 24, Demo menu: each prepared lesson, triggered from its menu entry as a teacher would,
selects its bundled photo, sets the attack panel, runs through the window's own Run and ends with
the sentence to read aloud. These use the shipped InceptionV3 (the lessons were measured on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advgui.core.app_state.lessons import LESSONS, lesson
from advgui.core.model.registry import shipped_models
from advgui.ui.actions import ACTIONS, help_rows
from advgui.ui.widgets.image_browser import PathRole

pytestmark = pytest.mark.skipif(not any(m.path.exists() for m in shipped_models()),
                                reason="the shipped models are not installed")

# What each lesson's note must say at its end: the point the room should hear.
POINT = {"fast-vs-iterative": "many small steps win", "inverse": "nobody chose that class",
         "least-likely": "least likely", "jpeg": "compression wiped the attack out",
         "transfer": "does not transfer"}


def _run_lesson(w, qtbot, key: str):
    from advgui.ui.lesson_runner import lesson_runner

    w.menu_actions[f"lesson_{key}"].trigger()
    runner = lesson_runner(w)
    qtbot.waitUntil(lambda: not runner.running, timeout=180_000)
    qtbot.waitUntil(lambda: not w.attacking, timeout=30_000)
    return runner


def test_the_demo_menu_lists_every_lesson_and_the_f1_help_says_how_to_reach_them(qapp) -> None:
    demo = [a for a in ACTIONS if a.menu == "&Demo"]
    assert [a.argument for a in demo] == [item.key for item in LESSONS]
    assert 3 <= len(demo) <= 5
    assert [a.text[:3] for a in demo] == [f"&{i}." for i in range(1, len(demo) + 1)]
    (keys, text), = [(k, t) for k, t in help_rows() if k.startswith("Alt+D")]
    assert keys == f"Alt+D, 1–{len(demo)}" and "Demo" in text


@pytest.mark.parametrize("key", [item.key for item in LESSONS])
def test_a_lesson_from_the_menu_shows_its_point(make_window, qtbot, key) -> None:
    w = make_window()
    w.show()
    item = lesson(key)
    if key == "transfer":  # after another lesson's check, as a teacher goes through the menu
        _run_lesson(w, qtbot, "jpeg")
    runner = _run_lesson(w, qtbot, key)
    # The lesson's photo is the one selected in the browser.
    assert Path(w.browser.view.currentIndex().data(PathRole)).name == item.photo
    assert Path(w.state.path).name == item.photo
    # The panel shows the last run's settings.
    last = item.runs[-1]
    assert w.attack_panel.method.currentData() == last.method
    assert w.attack_panel.target.currentData() == last.target
    assert w.attack_panel.eps.value() == last.eps
    # The caption names the adversarial class, and so does the note read aloud.
    names = w.state.model.class_names
    out = w.state.result
    adversarial = names[int(out.adversarial_probabilities.argmax())]
    clean = names[int(out.clean_probabilities.argmax())]
    assert adversarial != clean
    assert f"now '{adversarial}'" in w.caption.text()
    note = runner.note
    assert note.isVisible()
    assert item.name in note.heading.text() and item.name in w.menu_actions[f"lesson_{key}"].text()
    text = note.text.text()
    assert f"'{adversarial}'" in text and POINT[key] in text, text
    if key == "fast-vs-iterative":  # the first run's verdict is said too: the clean class kept
        assert f"leaves '{clean}'" in text
    if key == "jpeg":
        assert f"it is '{clean}'" in text
    if key == "inverse":  # read to a room: the note grows with presentation mode (Ctrl+Shift+P)
        before = note.text.fontMetrics().height()
        w.menu_actions["presentation"].trigger()
        # the font reaches the note by Qt's posted font-change events
        qtbot.waitUntil(lambda: note.text.fontMetrics().height() >= 1.4 * before, timeout=5_000)
        qtbot.waitUntil(lambda: note.text.height()
                        >= note.text.heightForWidth(note.text.width()), timeout=5_000)  # not cut
        w.menu_actions["presentation"].trigger()
    if key == "transfer":  # the user sees the second model's verdict on the Inspect tab
        assert w.tabs.currentWidget() is w.inspect
        assert "not fooled" in w.inspect.second.text.text()


def test_a_lesson_switches_to_the_model_it_was_prepared_with(make_window, qtbot) -> None:
    w = make_window("efficientnet_lite0")
    assert w.state.model.name == "efficientnet_lite0"
    runner = _run_lesson(w, qtbot, "inverse")
    assert w.state.model.name == "inception_v3" and "Model: inception_v3" in w.model_label.text()
    assert "nobody chose that class" in runner.note.text.text()


def test_a_lesson_brings_the_bars_forward_from_inspect(make_window, qtbot) -> None:
    """After the transfer lesson (which ends on Inspect) the next lesson's bars were hidden
    behind the Inspect tab: the room saw the perturbation histogram, not 'web site' win."""
    w = make_window()
    w.show()
    w.show_inspect()
    _run_lesson(w, qtbot, "inverse")
    assert w.tabs.currentWidget() is w.charts
    assert w.tabs.tabText(w.tabs.currentIndex()) == "Probabilities"
