"""The window's actions as one table: the menus, their shortcuts and the F1 help are all built
from it, so the help can never list a key the menus do not bind (or miss one they do)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from advgui.core.app_state.lessons import LESSONS

if TYPE_CHECKING:
    from advgui.ui.main_window import MainWindow

Key = str | QKeySequence.StandardKey


@dataclass(frozen=True)
class Action:
    """One menu entry: `handler` names the window's slot it calls (with the checked state when
    `checkable`, with `argument` when given); `help` is its line in the F1 list (empty: not
    listed there)."""

    name: str
    menu: str
    text: str
    handler: str
    shortcuts: tuple[Key, ...] = ()
    help: str = ""
    checkable: bool = False
    separator_before: bool = False
    submenu: bool = False  # a submenu the handler fills (given the QMenu) each time it opens
    argument: str = ""  # given to the handler (a Demo lesson's key)


# The Demo menu: one entry a prepared lesson (advgui.core.app_state.lessons), reached by its
# number in the menu (Alt+D, 1-5). One short line in the F1 list for all of them: a line each
# made the list taller than a 1024 x 768 projector in presentation mode (OK off the screen).
DEMO_ACTIONS: tuple[Action, ...] = tuple(
    Action(f"lesson_{item.key}", "&Demo", f"&{i}. {item.title}", "run_lesson",
           argument=item.key)
    for i, item in enumerate(LESSONS, start=1))
DEMO_HELP = (f"Alt+D, 1–{len(LESSONS)}", "a Demo lesson")

ACTIONS: tuple[Action, ...] = (
    Action("open_image", "&File", "Open &Image…", "open_image_dialog",
           (QKeySequence.StandardKey.Open,), "open an image"),
    Action("open_folder", "&File", "Open &Folder…", "open_folder_dialog", ("Ctrl+Shift+O",),
           "open a folder"),
    Action("open_samples", "&File", "Open &Sample Photos", "open_samples"),
    Action("open_model", "&File", "Open ONNX &Model…", "open_model_dialog",
           separator_before=True),
    Action("open_model_folder", "&File", "Open Model Fol&der (Optimum export)…",
           "open_model_folder_dialog"),
    Action("save_adversarial", "&File", "&Save Adversarial…", "save_adversarial",
           (QKeySequence.StandardKey.Save,), "save the adversarial image (lossless PNG)",
           separator_before=True),
    Action("copy_adversarial", "&File", "&Copy Adversarial", "copy_adversarial", ("Ctrl+Shift+C",),
           "copy the adversarial image"),
    Action("save_charts", "&File", "Save &Charts as PNG…", "save_charts"),
    Action("batch_run", "&File", "&Batch Run…", "open_batch_run", ("Ctrl+B",),
           "batch run (the seed's study on the folder)", separator_before=True),
    Action("open_study", "&File", "Open S&tudy…", "open_study_dialog", ("Ctrl+Shift+B",),
           "open a study folder to look at it (read only)"),
    Action("recent_studies", "&File", "Recent Stu&dies", "fill_recent_studies", submenu=True),
    Action("quit", "&File", "&Quit", "close", (QKeySequence.StandardKey.Quit,), "quit",
           separator_before=True),
    Action("show_probabilities", "&View", "&Probabilities", "show_probabilities", ("Ctrl+1",),
           "the Probabilities tab"),
    Action("show_inspect", "&View", "&Inspect", "show_inspect", ("Ctrl+2",), "the Inspect tab"),
    Action("show_explain", "&View", "&Explain", "show_explain", ("Ctrl+3",),
           "the Explain tab (gradient map, Grad-CAM, layer divergence)"),
    Action("presentation", "&View", "P&resentation", "set_presentation", ("Ctrl+Shift+P",),
           "presentation mode (larger text and charts)", checkable=True, separator_before=True),
    Action("full_screen", "&View", "&Full Screen", "toggle_full_screen", ("F11",), "full screen"),
    Action("larger_text", "&View", "&Larger Text", "larger_text",
           (QKeySequence.StandardKey.ZoomIn,), "larger text"),
    Action("smaller_text", "&View", "&Smaller Text", "smaller_text",
           (QKeySequence.StandardKey.ZoomOut,), "smaller text"),
    # Return and Enter: the main and the keypad keys.
    Action("run", "&Attack", "&Run", "run_attack", ("Return", "Enter"),
           "run the attack with the panel's settings"),
    Action("cancel", "&Attack", "&Cancel", "cancel_attack", ("Esc",),
           "cancel the attack (at its next step)"),
    Action("play_pause", "&Attack", "&Play / Pause Steps", "play_pause_steps", ("Space",),
           "play or pause the recorded steps", separator_before=True),
    Action("next_step", "&Attack", "&Next Step", "next_step", ("N",),
           "next step, in step-by-step mode"),
    Action("previous_image", "&Attack", "Previous Image", "previous_image", ("PgUp",),
           "previous image"),
    Action("next_image", "&Attack", "Next Image", "next_image", ("PgDown",), "next image"),
    *DEMO_ACTIONS,
    Action("shortcuts", "&Help", "&Keyboard Shortcuts", "show_shortcuts",
           (QKeySequence.StandardKey.HelpContents,), "this list"),
    Action("credits", "&Help", "Sample Photo &Credits", "show_credits"),
    Action("log", "&Help", "Open &Log File", "open_log"),
    Action("about", "&Help", "&About advgui", "show_about"),
)

# Keys the window handles itself (MainWindow.keyPressEvent), not through a menu entry.
WINDOW_KEYS = (("← → ↑ ↓", "previous / next image (when no control uses the arrows)"),)


def key_sequences(action: Action) -> list[QKeySequence]:
    """Every key sequence the action is bound to; a standard key is its platform's main binding
    (as QAction.setShortcut binds it: not the media keys some platforms list beside it)."""
    return [QKeySequence(key) for key in action.shortcuts]


def shortcut_text(action: Action) -> str:
    """The shortcut as the platform names it (Ctrl+O; ⌘O on a Mac)."""
    return " / ".join(dict.fromkeys(
        s.toString(QKeySequence.SequenceFormat.NativeText) for s in key_sequences(action)))


def help_rows() -> list[tuple[str, str]]:
    """The F1 list: every action with a help line, then the window's own keys."""
    return ([(shortcut_text(a), a.help) for a in ACTIONS if a.help and a.shortcuts]
            + [DEMO_HELP] + list(WINDOW_KEYS))


def help_html() -> str:
    return "<table>" + "".join(f"<tr><td><b>{escape(k)}</b></td><td>&nbsp;{escape(v)}</td></tr>"
                               for k, v in help_rows()) + "</table>"


def build_menus(window: MainWindow) -> dict[str, QAction]:
    """Fill the window's menu bar from ACTIONS; returns the QActions by name."""
    bar = window.menuBar()
    menus: dict[str, object] = {}
    made: dict[str, QAction] = {}
    for spec in ACTIONS:
        menu = menus.get(spec.menu) or menus.setdefault(spec.menu, bar.addMenu(spec.menu))
        if spec.separator_before:
            menu.addSeparator()
        if spec.submenu:
            sub = menu.addMenu(spec.text)
            sub.menuAction().setObjectName(spec.name)
            sub.aboutToShow.connect(lambda sub=sub, fill=getattr(window, spec.handler): fill(sub))
            made[spec.name] = sub.menuAction()
            continue
        action = QAction(spec.text, window)
        action.setObjectName(spec.name)
        action.setShortcuts(key_sequences(spec))
        action.setCheckable(spec.checkable)
        slot = getattr(window, spec.handler)
        if spec.checkable:
            action.triggered.connect(slot)
        elif spec.argument:
            action.triggered.connect(lambda _checked=False, slot=slot, arg=spec.argument: slot(arg))
        else:  # triggered(bool) must not reach slots that take an optional argument
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
        menu.addAction(action)
        made[spec.name] = action
    return made
