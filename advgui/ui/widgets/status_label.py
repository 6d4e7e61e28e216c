"""A permanent status-bar label: superqt's eliding label ('…' where the text is cut), the whole
text in its tooltip, and never asking for more than its own width, so a long message never widens
the window past a small screen.

Its width is a cap (grown with Larger Text) that the status bar may lift up to the text's own
width while the bar has room to spare (status_bar.ElidingStatusBar): at 1024 x 768 a fixed
230 px cut "35 / 35 classified · top-1 rig…" beside an empty bar."""

from __future__ import annotations

from PySide6.QtCore import QSize
from superqt import QElidingLabel

PADDING = 8  # the label's margins around its text


class StatusLabel(QElidingLabel):
    def __init__(self, text: str = "", max_width: int = 320) -> None:
        super().__init__(text)
        self._cap, self._base_points = max_width, self.font().pointSizeF() or 9.0
        self.setMaximumWidth(max_width)
        self.setToolTip(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.setToolTip(text)
        self.updateGeometry()

    def cap(self) -> int:
        """The width it may always take: the given one, grown with the font (Larger Text)."""
        return round(self._cap * max(1.0, (self.font().pointSizeF() or 9.0) / self._base_points))

    def natural_width(self) -> int:
        """The width of its whole text."""
        return self.fontMetrics().horizontalAdvance(self.text()) + PADDING if self.text() else 0

    def allow(self, width: int) -> None:
        """Take up to `width` (never less than the cap)."""
        width = max(self.cap(), width)
        if width != self.maximumWidth():
            self.setMaximumWidth(width)

    def sizeHint(self) -> QSize:  # noqa: N802
        width = self.fontMetrics().horizontalAdvance(self.text()) + PADDING
        return QSize(min(width, self.maximumWidth()), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(self.sizeHint().width(), 40), super().minimumSizeHint().height())
