"""A status bar whose messages end in '…' when they do not fit (Qt clips them mid-word), with the
whole message in the bar's tooltip, cut again whenever the room changes: the window resized, or
a permanent label (step, progress, batch) grown or shrunk beside it.

The permanent labels (StatusLabel) ask for their whole text while the message keeps at least
MESSAGE_SHARE of the bar; past that each keeps its own width, as before."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QStatusBar, QWidget

MARGIN = 24  # the size grip and the bar's own padding
MESSAGE_SHARE = 1 / 3  # the least part of the bar the message keeps beside the permanent labels
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
        self._share_room()
        self._recut()

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a label's text or font changed
            self._share_room()
        return super().event(event)

    def _share_room(self) -> None:
        """Each permanent label gets its cap; the room the message can spare goes to the labels
        whose text is longer, from the left (the folder's count first)."""
        labels = [w for w in self.children() if hasattr(w, "natural_width") and w.isVisibleTo(self)]
        if not labels:
            return
        spacing = max(0, self.layout().spacing()) if self.layout() else 6
        spare = (self.width() - MARGIN - round(self.width() * MESSAGE_SHARE)
                 - spacing * len(labels) - sum(min(w.natural_width(), w.cap()) for w in labels))
        for label in labels:
            more = min(max(0, label.natural_width() - label.cap()), max(0, spare))
            label.allow(label.cap() + more)
            spare -= more

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
