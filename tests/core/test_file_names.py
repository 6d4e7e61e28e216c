"""What a file name looks like on screen: every character visible, two names never alike."""

from __future__ import annotations

from advgui.core.file_names import shown_name


def test_a_newline_and_other_invisible_characters_are_made_visible() -> None:
    assert shown_name("a\nb.png") == "a⏎b.png"
    assert shown_name("tab\there.png") == "tab\\there.png"
    assert shown_name("esc\x1b[31m.png") == "esc\\x1b[31m.png"
    assert shown_name("line\u2028sep.png") == "line\\u2028sep.png"
    # A right-to-left override would show 'evil\u202egnp.exe' as 'evilexe.png'.
    assert shown_name("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert shown_name("not utf-8 \udcff.png") == "not utf-8 \\udcff.png"  # os.fsdecode's bytes


def test_ordinary_names_are_unchanged() -> None:
    for name in ("ILSVRC2012_val_00000347.JPEG", "café au lait.png", "日本語の写真.jpg",
                 "family 👨\u200d👩\u200d👧.png", "/home/me/photos/cat 1.png"):
        assert shown_name(name) == name
