"""A file name as advgui writes it for people to read: every character in it visible.

Linux allows any character but '/' and NUL in a file name, so 'a\\nb.png' and 'a\\nc.png' are
two photos; written as they are, the browser's one-line caption showed 'a' for both, and in a
status message or a tooltip the name's line break read as the end of the name. A newline is
written '⏎', every other control character as its Python escape ('\\t', '\\x1b'), and so are
Unicode's line and paragraph separators and the bidirectional controls, which would reorder
the rest of the name on screen. The file itself keeps its name: only what is shown changes.
"""

from __future__ import annotations

import unicodedata

NEWLINE = "⏎"
# Embedding, override and isolate controls: invisible, they reverse what follows them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ESCAPED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})  # Cs: the bytes not UTF-8 (os.fsdecode)


def _shown(ch: str) -> str:
    if ch == "\n":
        return NEWLINE
    if ch in BIDI_CONTROLS or unicodedata.category(ch) in ESCAPED_CATEGORIES:
        return ch.encode("unicode_escape", "backslashreplace").decode("ascii")
    return ch


def shown_name(name: str) -> str:
    """`name` (a file name or a whole path) with its invisible characters made visible."""
    if name.isprintable():  # nearly every name: nothing to look at character by character
        return name
    return "".join(_shown(ch) for ch in name)
