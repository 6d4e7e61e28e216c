"""The main window's menu bar: every entry calls one of the window's slots or actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from advgui.ui.dialogs.about import open_log, show_about, show_credits, show_shortcuts
from advgui.ui.presentation import step_font_scale, toggle_full_screen, toggle_presentation

if TYPE_CHECKING:
    from advgui.ui.main_window import MainWindow


def _batch_run(window: MainWindow) -> None:
    from advgui.ui.dialogs.batch_dialog import open_batch_dialog  # noqa: PLC0415 (rarely used, heavy)

    open_batch_dialog(window)


def build_menus(window: MainWindow) -> None:
    """Fill the window's menu bar."""

    def act(menu, text, slot, shortcut=None) -> QAction:
        a = QAction(text, window)
        if shortcut:
            a.setShortcut(shortcut)
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    bar = window.menuBar()
    file = bar.addMenu("&File")
    act(file, "Open &Image…", window.open_image_dialog, QKeySequence.StandardKey.Open)
    act(file, "Open &Folder…", window.open_folder_dialog, "Ctrl+Shift+O")
    act(file, "Open &Sample Photos", window.open_samples)
    act(file, "&Save Adversarial…", window.save_adversarial, QKeySequence.StandardKey.Save)
    act(file, "&Copy Adversarial", window.copy_adversarial, "Ctrl+Shift+C")
    act(file, "Save &Charts as PNG…", window.save_charts)
    file.addSeparator()
    act(file, "&Batch Run…", lambda: _batch_run(window), "Ctrl+B")
    file.addSeparator()
    act(file, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    view = bar.addMenu("&View")
    act(view, "&Probabilities", lambda: window.tabs.setCurrentIndex(0), "Ctrl+1")
    act(view, "&Inspect", lambda: window.tabs.setCurrentIndex(1), "Ctrl+2")
    view.addSeparator()
    window.presentation_action = act(view, "P&resentation", lambda on: toggle_presentation(window, on),
                                     "Ctrl+Shift+P")
    window.presentation_action.setCheckable(True)
    act(view, "&Full Screen", lambda: toggle_full_screen(window), "F11")
    act(view, "&Larger Text", lambda: step_font_scale(window, +1), QKeySequence.StandardKey.ZoomIn)
    act(view, "&Smaller Text", lambda: step_font_scale(window, -1), QKeySequence.StandardKey.ZoomOut)
    attack = bar.addMenu("&Attack")
    run = act(attack, "&Run", lambda: window.run_attack(), "Return")
    run.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])  # main and keypad keys
    act(attack, "&Cancel", lambda: window.cancel_attack(), "Esc")
    attack.addSeparator()
    act(attack, "&Play / Pause Steps", lambda: window.playback.toggle_play(), "Space")
    act(attack, "&Next Step", lambda: window.engine.next_step(), "N")
    act(attack, "Previous Image", lambda: window.browser.step(-1), "PgUp")
    act(attack, "Next Image", lambda: window.browser.step(+1), "PgDown")
    help_ = bar.addMenu("&Help")
    act(help_, "&Keyboard Shortcuts", lambda: show_shortcuts(window), QKeySequence.StandardKey.HelpContents)
    act(help_, "Sample Photo &Credits", lambda: show_credits(window))
    act(help_, "Open &Log File", lambda: open_log(window))
    act(help_, "&About advgui", lambda: show_about(window, window.info))
