"""The Demo lesson's note: the lesson's name, what it is doing now, and at its end the one sentence
a teacher reads aloud. Non-modal, above the charts; its text grows with the window's text size
(presentation mode) and it can be closed."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)


class LessonNote(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lesson-note")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # No font and no style sheet of its own (a style sheet fixes its widgets' fonts): the
        # application's font, which presentation mode and Larger Text scale, reaches it as it
        # reaches the attack panel (a larger one took the charts' room at 1024 x 768).
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("#fff8dc"))
        palette.setColor(QPalette.ColorRole.WindowText, QColor("#202020"))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        self.heading = QLabel()
        self.heading.setObjectName("lesson-heading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.text = QLabel()
        self.text.setObjectName("lesson-text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)  # class names are not markup
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
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
        # Its whole text, always: the charts give way, never the sentence read aloud.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()

    def show_lesson(self, heading: str, text: str) -> None:
        self.heading.setText(f"<b>{escape(heading)}</b>")
        self.text.setText(text)
        # Three lines at least: the note keeps its height from one message to the next.
        self.text.setMinimumHeight(3 * self.text.fontMetrics().lineSpacing())
        self.show()
