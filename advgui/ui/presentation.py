"""Presentation mode: every text and chart label scaled for a room (View > Presentation, the font
scale setting) and full screen (F11)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel

PRESENTATION_SCALE = 1.5
SCALES = (0.8, 1.0, 1.25, 1.5, 1.75, 2.0)
_BASE: dict[str, float] = {}
# A typical caption (a longer one grows the label once, when it is painted): the caption's height is fitted to it at the label's
# width, so that it neither clips a longer one ("now 'X' at Y %" was lost at Larger Text x2)
# nor jumps between line counts while stepping.
LONGEST_CAPTION = ("Step 10 of 10: pushing 'turnstile' down; 8 of 255 levels per pixel so far; "
                   "now 'pay-phone' at 100.0 %.")


def apply_font_scale(scale: float, charts, caption, browser, tiers) -> None:
    """Scale the application's font and the given views' labels and bars from the size at
    start (the window keeps the scale in its state and says so in its status bar)."""
    app = QApplication.instance()
    if app is None:
        return
    base = _BASE.setdefault("point_size", app.font().pointSizeF() or 9.0)
    font = QFont(app.font())
    font.setPointSizeF(base * scale)
    app.setFont(font)
    charts.set_font_scale(base * scale)
    # At presentation sizes the caption says what the legend line does (the step, the target
    # pushed up or down): its lines go to the charts.
    charts.legend.setVisible(scale < PRESENTATION_SCALE)
    # The caption grows with the text like every label; the headline over the photos is the
    # large line now, so the caption is not made larger still.
    caption.setStyleSheet("")
    fit_caption(caption, base * scale)
    browser.fit_text(scale)
    tiers.set_font_scale(base * scale)


class _CaptionFit(QObject):
    """Keeps a caption label as high as the longest caption needs at its width and font."""

    def __init__(self, label: QLabel) -> None:
        super().__init__(label)
        self.label = label
        self.point_size: float | None = None
        label.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange):
            self.fit()
        elif event.type() == QEvent.Type.Paint:  # a longer caption than the reference: grow
            self.fit(self.label.text())
        return False

    def fit(self, text: str = "") -> None:
        font = QFont(self.label.font())
        if self.point_size:
            font.setPointSizeF(self.point_size)
        metrics = QFontMetrics(font)
        width = max(self.label.contentsRect().width(), 200)
        lines = max(2, *(round(metrics.boundingRect(
            QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), t).height()
            / metrics.lineSpacing()) for t in (LONGEST_CAPTION, text)))
        height = lines * metrics.lineSpacing() + 6
        if (self.label.height() < height) if text else (self.label.height() != height):
            self.label.setFixedHeight(height)


def fit_caption(label, point_size: float | None = None, lines: int = 2) -> None:
    """Room for the longest caption at the label's width (at least ``lines`` lines), always:
    a caption may wrap, and the layout must neither clip it nor jump while stepping."""
    fit = label.findChild(_CaptionFit) or _CaptionFit(label)
    fit.point_size = point_size
    font = QFont(label.font())
    if point_size:
        font.setPointSizeF(point_size)
    label.setFixedHeight(lines * QFontMetrics(font).lineSpacing() + 6)
    fit.fit()


def next_font_scale(now: float, direction: int) -> float:
    """The next larger (direction > 0) or smaller scale; `now` at either end of SCALES."""
    bigger = [s for s in SCALES if s > now + 1e-6]
    smaller = [s for s in SCALES if s < now - 1e-6]
    if direction > 0 and bigger:
        return bigger[0]
    if direction < 0 and smaller:
        return smaller[-1]
    return now
