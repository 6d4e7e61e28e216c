"""A status bar whose messages end in '…' when they do not fit (Qt clips them mid-word), with the
whole message in the bar's tooltip, cut again whenever the room changes: the window resized, or
a permanent label (step, progress, batch) grown or shrunk beside it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QStatusBar, QWidget

MARGIN = 24  # the size grip and the bar's own padding
ROOM_EVENTS = (QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.Move)


class ElidingStatusBar(QStatusBar):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._full, self._timeout, self._cutting = "", 0, False
        self.messageChanged.connect(self._on_changed)
        # One timer the bar owns: a re-cut asked for during teardown dies with the bar, and
        # several asked for in one pass of the event loop run once.
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(0)
        self._later.timeout.connect(self._recut)

    def full_message(self) -> str:
        """The message as it was given, before any cut."""
        return self._full if self.currentMessage() else ""

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt's name)
        self._full, self._timeout = text, timeout
        self._show(self._cut(text))
        # Qt hides the normal widgets only after this returns: measure the room again then.
        self._later.start()

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802
        super().addPermanentWidget(widget, stretch)
        widget.installEventFilter(self)

    def insertPermanentWidget(self, index: int, widget: QWidget, stretch: int = 0) -> int:  # noqa: N802
        widget.installEventFilter(self)
        return super().insertPermanentWidget(index, widget, stretch)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() in ROOM_EVENTS:
            self._later.start()  # after the layout has placed every label
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._recut()

    def _show(self, cut: str) -> None:
        self._cutting = True
        try:
            # Qt does not tell the time left, so a message cut again restarts its timeout.
            super().showMessage(cut, self._timeout)
        finally:
            self._cutting = False
        self.setToolTip(self._full if cut != self._full else "")

    def _room(self) -> int:
        # While a message shows, Qt hides the normal widgets: what is visible is the permanent
        # ones on the right, and the message has the room left of them.
        shown = [w.geometry().left() for w in self.children()
                 if isinstance(w, QWidget) and w.isVisible() and w.geometry().left() > 0]
        right = min(shown, default=self.width())
        return max(40, right - MARGIN)

    def _cut(self, text: str) -> str:
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self._room())

    def _recut(self) -> None:
        if self.currentMessage() and self._full:
            cut = self._cut(self._full)
            if cut != self.currentMessage():
                self._show(cut)

    def _on_changed(self, message: str) -> None:
        if self._cutting:
            return
        if not message:
            self._full = ""
            self.setToolTip("")
        elif message != self._cut(self._full):
            # shown by Qt itself (a status tip), not through showMessage: it is the whole text
            self._full, self._timeout = message, 0
            self._later.start()
