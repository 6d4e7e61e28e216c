"""Numbers in a docs page's hand-written prose: which ones no checked phrase covers.

The prose is the page without its generated blocks (`<!-- generated: NAME -->` ... `<!-- end -->`),
headings and indented code; inline code and link targets need no check. A number is covered when
it lies inside an occurrence of one of the given phrases (whitespace runs compared as one space).
"""

from __future__ import annotations

import re

_BLOCKS = re.compile(r"^<!-- generated: [\w-]+ -->\n.*?^<!-- end -->$", re.S | re.M)
_INDENTED = re.compile(r"^(?: {4}|\t)(?![-*] ).*$", re.M)  # code, not a nested list item
_FREE = re.compile(r"`[^`]*`|\]\([^)]*\)")
_NUMBER = re.compile(r"(?<![\w.\-])[+−]?\d+(?:[.,]\d+)*(?![\w])")


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def prose(page: str) -> tuple[str, list[bool]]:
    """The page's text without generated blocks, headings and indented code (whitespace runs as
    one space), and which characters need no check: inline code and link targets."""
    text = _BLOCKS.sub(" ", page)
    text = re.sub(r"^#.*$", " ", text, flags=re.M)
    text = flat(_INDENTED.sub(" ", text))
    free = [False] * len(text)
    for match in _FREE.finditer(text):
        free[match.start():match.end()] = [True] * (match.end() - match.start())
    return text, free


def unchecked(page: str, phrases: list[str]) -> list[tuple[str, str]]:
    """(number, its context) for each number in the prose that no phrase covers."""
    text, covered = prose(page)
    for phrase in phrases:
        phrase = flat(phrase)
        for match in re.finditer(re.escape(phrase), text):
            covered[match.start():match.end()] = [True] * (match.end() - match.start())
    return [(m.group(), text[max(0, m.start() - 40):m.end() + 20])
            for m in _NUMBER.finditer(text) if not all(covered[m.start():m.end()])]
