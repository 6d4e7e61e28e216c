"""Issue 24, item 10: the attack panel as a user meets it — a typed class then one click on
Run, the class kept across launches, combos whole at 1024 x 768 and never clipped mid-letter,
a window that shrinks to 800 x 600."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from advgui.ui.widgets.attack_panel import AttackPanel
from advgui.ui.widgets.eliding_combo import shown_text

NAMES = tuple(f"thing {i}" for i in range(10)) + ("tabby cat", "tiger cat")


def _class_panel(qtbot) -> AttackPanel:
    panel = AttackPanel()
    qtbot.addWidget(panel)
    panel.set_classes(NAMES, (1.0, 1.0, 1.0))
    panel.target.setCurrentIndex(panel.target.findData("class"))
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_the_first_click_on_run_after_typing_a_class_runs(qtbot) -> None:
    panel = _class_panel(qtbot)
    runs: list[dict] = []
    panel.runRequested.connect(runs.append)
    panel.picker.lineEdit().setFocus()
    QTest.keyClicks(panel.picker.lineEdit(), "tabby")
    popup = panel.picker.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    # While a popup is open the window system hands every click to it, wherever it lands.
    on_run = popup.mapFromGlobal(panel.run.mapToGlobal(panel.run.rect().center()))
    QTest.mousePress(popup, Qt.MouseButton.LeftButton, pos=on_run)
    QTest.mouseRelease(popup, Qt.MouseButton.LeftButton, pos=on_run)  # X11: the grab's window
    assert not popup.isVisible() and not panel.run.isDown()
    assert [r["target"] for r in runs] == [f"class:{NAMES.index('tabby cat')}"]


def test_a_click_on_a_suggestion_still_picks_it(qtbot) -> None:
    panel = _class_panel(qtbot)
    panel.picker.lineEdit().setFocus()
    QTest.keyClicks(panel.picker.lineEdit(), "cat")
    popup = panel.picker.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    second = popup.visualRect(popup.model().index(1, 0)).center()
    QTest.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, pos=second)
    assert panel.chosen_class() == NAMES.index("tiger cat")


def test_the_chosen_class_survives_a_relaunch(make_window, tiny_model, settings, qtbot) -> None:
    w = make_window(str(tiny_model))
    panel = w.attack_panel
    panel.target.setCurrentIndex(panel.target.findData("class"))
    panel.picker.setCurrentIndex(7)
    chosen = panel.picker.currentText()
    w.close()
    again = make_window(str(tiny_model), settings)
    assert again.attack_panel.target.currentData() == "class"
    assert again.attack_panel.picker.currentText() == chosen
    assert again.attack_panel.chosen_class() == 7


def test_combos_are_whole_at_1024x768_and_the_window_shrinks_to_800x600(make_window, tiny_model,
                                                                         qtbot) -> None:
    w = make_window(str(tiny_model))
    w.set_font_scale(1.0)  # the application's font, whatever a test before left it at
    w.show()
    qtbot.waitExposed(w)
    panel = w.attack_panel
    combos = (panel.method, panel.target, w.model_picker)
    w.resize(1004, 690)  # 1024 x 768 less a window frame, a panel and a task bar
    qtbot.waitUntil(lambda: w.width() == 1004)
    qtbot.wait(50)  # the panel's width is given back once the splitter has laid out
    for combo in combos:
        for i in range(combo.count()):
            combo.setCurrentIndex(i)
            if combo is not w.model_picker or i < 2:  # the model's own titles, not "Open …"
                assert shown_text(combo) == combo.itemText(i), combo.itemText(i)
    w.resize(800, 600)
    qtbot.waitUntil(lambda: w.size().toTuple() == (800, 600))
    assert w.centralWidget().width() <= 800
    for combo in combos:  # where it cannot be whole it ends in '…', whole in its tooltip
        text = shown_text(combo)
        assert text == combo.currentText() or (text.endswith("…") and
                                              combo.toolTip() == combo.currentText())
        assert combo.width() >= 100 and combo.isVisible()
    assert panel.run.isVisible() and panel.run.geometry().bottom() < panel.height()
    w.resize(1004, 690)  # and enlarged again: the room goes back to the combos first
    qtbot.waitUntil(lambda: w.width() == 1004)
    qtbot.wait(50)
    assert all(shown_text(c) == c.currentText() for c in (panel.method, panel.target))
