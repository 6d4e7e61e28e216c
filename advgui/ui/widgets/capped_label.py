"""A wrapped label of at most a few lines: what does not fit ends in '…' on its last line, whole
in the tooltip. For the texts under and over pictures that, at Larger Text, took five lines of
room from the pictures they describe."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QWidget


def wrapped_lines(metrics: QFontMetrics, text: str, width: int, most: int) -> list[str]:
    """The text wrapped at spaces into lines of `width` px, at most `most` (the last elided).
    A line fits in less than `width`: one exactly as wide (its advance rounded to whole pixels)
    QLabel wrapped once more, a third line in a title two lines high."""
    lines: list[str] = []
    words = text.split()
    room = max(1, width - 1)
    while words and len(lines) < most:
        line = words.pop(0)
        while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= room:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words or (lines and metrics.horizontalAdvance(lines[-1]) > room):
        rest = " ".join([lines.pop()] + words) if lines else " ".join(words)
        lines.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, room))
    return lines


class CappedLabel(QLabel):
    def __init__(self, text: str = "", most_lines: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full, self._most = "", most_lines
        self.setWordWrap(True)
        self.setText(text)

    def text(self) -> str:  # the whole text, as set
        return self._full

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._fit()
        self.updateGeometry()

    def set_most_lines(self, most: int) -> None:
        if most != self._most:
            self._most = most
            self._fit()
            self.updateGeometry()

    def _lines(self, width: int) -> list[str]:
        return wrapped_lines(self.fontMetrics(), self._full, max(1, width), self._most)

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        margins = self.contentsMargins()
        inner = width - margins.left() - margins.right()
        shown = max(1, len(self._lines(inner)))
        return shown * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom()

    def _fit(self) -> None:
        lines = self._lines(self.contentsRect().width()) if self.width() > 1 else [self._full]
        shown = "\n".join(lines)
        super().setText(shown)
        self.setToolTip(self._full if shown.replace("\n", " ") != " ".join(self._full.split())
                        else "")

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()
