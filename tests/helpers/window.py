"""Driving the main window in qtbot: wait for it to settle, open a folder, run an action until
the user cancels it."""

from __future__ import annotations


def settled(window, qtbot) -> None:
    """Engine signals reach test lambdas directly; wait until the window's own slots ran."""
    qtbot.waitUntil(lambda: not window.attacking, timeout=30_000)


def until_cancelled(window, qtbot, action, timeout: int = 30_000) -> None:
    """Do action and wait for the engine to report the cancel. Polls (waitUntil) rather than
    waitSignal: under a loaded CI machine one waitSignal here once never returned."""
    seen: list[bool] = []
    window.engine.attackCancelled.connect(lambda: seen.append(True))
    action()
    qtbot.waitUntil(lambda: bool(seen), timeout=timeout)


def open_folder(window, qtbot, folder) -> None:
    window.open_paths([str(folder)])
    qtbot.waitUntil(lambda: len(window.verdicts) == 6, timeout=30_000)


def shown_at(window, qtbot, width: int = 1024, height: int = 768):
    """The window shown and resized to a screen's size (a lecture hall's projector by default),
    once it has taken that width."""
    window.show()
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width, timeout=2000)
    return window


def attacked_on_explain(window, qtbot, folder) -> None:
    """The fixture folder open, its second photo attacked with the panel's settings and the
    Explain tab in front while it ran: what every Explain-tab check starts from."""
    open_folder(window, qtbot, folder)
    window.select_image(str(folder / "n00000001_sample1.png"))
    window.tabs.setCurrentWidget(window.explain)
    with qtbot.waitSignal(window.engine.attackFinished, timeout=30_000):
        window.attack_panel.run.click()
    settled(window, qtbot)


def attacked_with(window, qtbot, folder, method: str, target: str | None = None,
                  **settings) -> None:
    """The window shown, the fixture folder open, its second photo attacked by a click on Run
    with this method (and target; settings: eps=, queries=, set on the panel's spin boxes)."""
    from PySide6.QtCore import Qt  # noqa: PLC0415

    window.show()
    open_folder(window, qtbot, folder)
    window.select_image(str(folder / "n00000001_sample1.png"))
    panel = window.attack_panel
    panel.method.setCurrentIndex(panel.method.findData(method))
    if target is not None:
        panel.target.setCurrentIndex(panel.target.findData(target))
    for name, value in settings.items():
        getattr(panel, name).setValue(value)
    with qtbot.waitSignal(window.engine.attackFinished, timeout=60_000):
        qtbot.mouseClick(panel.run, Qt.MouseButton.LeftButton)
    settled(window, qtbot)
