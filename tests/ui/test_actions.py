"""The actions table is the one source of the menus, their shortcuts and the F1 help."""

from __future__ import annotations

from html import escape

from PySide6.QtGui import QKeySequence

from advgui.ui.actions import ACTIONS, help_html, help_rows, key_sequences, shortcut_text


def test_every_action_is_in_the_menus_with_its_shortcut(make_window, tiny_model) -> None:
    w = make_window(str(tiny_model))
    in_menus = {a.objectName(): a for menu in w.menuBar().actions() for a in menu.menu().actions()
                if not a.isSeparator()}
    for spec in ACTIONS:
        action = in_menus[spec.name]
        assert action.text() == spec.text
        assert action.shortcuts() == key_sequences(spec)
        assert callable(getattr(w, spec.handler))


def test_every_shortcut_is_in_the_f1_help() -> None:
    html = help_html()
    keys = {k for k, _ in help_rows()}
    for spec in ACTIONS:
        if spec.shortcuts:
            assert spec.help, f"{spec.name} has a shortcut but no line in the F1 help"
            assert shortcut_text(spec) in keys and escape(spec.help) in html


def test_no_shortcut_is_bound_twice() -> None:
    seen: dict[str, str] = {}
    for spec in ACTIONS:
        for seq in key_sequences(spec):
            key = seq.toString(QKeySequence.SequenceFormat.PortableText)
            assert key not in seen, f"{key} bound to {seen.get(key)} and {spec.name}"
            seen[key] = spec.name


def test_the_view_menu_shows_each_tab(make_window, tiny_model) -> None:
    """View › Probabilities / Inspect / Explain (Ctrl+1/2/3) bring their tab to the front."""
    w = make_window(str(tiny_model))
    for name, tab in (("show_explain", w.explain), ("show_inspect", w.inspect),
                      ("show_probabilities", w.charts)):
        w.menu_actions[name].trigger()
        assert w.tabs.currentWidget() is tab
