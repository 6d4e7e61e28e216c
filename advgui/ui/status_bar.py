"""A status bar whose messages end in '…' when they do not fit (Qt clips them mid-word), with the
whole message in the bar's tooltip and re-cut when the window is resized."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar, QWidget

MARGIN = 24  # the size grip and the bar's own padding


class ElidingStatusBar(QStatusBar):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._full, self._timeout = "", 0
        self.messageChanged.connect(self._on_changed)

    def full_message(self) -> str:
        """The message as it was given, before any cut."""
        return self._full if self.currentMessage() else ""

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._timeout = timeout
        super().showMessage(self._cut(text), timeout)
        self.setToolTip(text if self.currentMessage() != text else "")

    def _room(self) -> int:
        # While a message shows, Qt hides the normal widgets: what is visible is the permanent
        # ones on the right, and the message has the room left of them.
        shown = [w.geometry().left() for w in self.children()
                 if isinstance(w, QWidget) and w.isVisible() and w.geometry().left() > 0]
        right = min(shown, default=self.width())
        return max(40, right - MARGIN)

    def _cut(self, text: str) -> str:
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self._room())

    def _on_changed(self, message: str) -> None:
        if not message:
            self._full = ""
            self.setToolTip("")

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.currentMessage() and self._full:
            cut = self._cut(self._full)
            if cut != self.currentMessage():
                # Qt does not tell the time left, so a resized message restarts its timeout.
                super().showMessage(cut, self._timeout)
                self.setToolTip(self._full if cut != self._full else "")
