"""The Demo lesson's note: the lesson's name, what it is doing now, and at its end the one sentence
a teacher reads aloud. Non-modal, above the charts; its text grows with the window's text size
(presentation mode) and it can be closed."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)

# The window's text size (larger in presentation mode): bigger took the charts' room at 1024 x 768.
NOTE_SCALE = 1.0


class LessonNote(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lesson-note")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#lesson-note { background: #fff8dc; border: 1px solid #d4b44a; "
                           "border-radius: 4px; } QLabel { color: #202020; }")
        self.heading = QLabel()
        self.heading.setObjectName("lesson-heading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.text = QLabel()
        self.text.setObjectName("lesson-text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)  # class names are not markup
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setToolTip("Close the lesson's note")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.hide)
        column = QWidget()
        v = QVBoxLayout(column)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        v.addWidget(self.heading)
        v.addWidget(self.text)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 6)
        row.addWidget(column, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._fit_font()
        # Its whole text, always: the charts give way, never the sentence read aloud.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()

    def show_lesson(self, heading: str, text: str) -> None:
        self.heading.setText(heading)
        self.text.setText(text)
        self.show()

    def _fit_font(self) -> None:
        """The application's font (scaled by presentation mode) times NOTE_SCALE."""
        font = QFont(QApplication.font())
        font.setPointSizeF(font.pointSizeF() * NOTE_SCALE)
        self.text.setFont(font)
        # Three lines at least: the note keeps its height from one message to the next.
        self.text.setMinimumHeight(3 * QFontMetrics(font).lineSpacing())
        font.setBold(True)
        self.heading.setFont(font)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.ApplicationFontChange, QEvent.Type.FontChange):
            self._fit_font()
        super().changeEvent(event)
