"""A permanent status-bar label: superqt's eliding label ('…' where the text is cut), the whole
text in its tooltip, and never asking for more than its own width, so a long message never widens
the window past a small screen."""

from __future__ import annotations

from PySide6.QtCore import QSize
from superqt import QElidingLabel


class StatusLabel(QElidingLabel):
    def __init__(self, text: str = "", max_width: int = 320) -> None:
        super().__init__(text)
        self.setMaximumWidth(max_width)
        self.setToolTip(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.setToolTip(text)
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802
        width = self.fontMetrics().horizontalAdvance(self.text()) + 8
        return QSize(min(width, self.maximumWidth()), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(self.sizeHint().width(), 40), super().minimumSizeHint().height())
