"""Presentation mode: every text and chart label scaled for a room (View > Presentation, the font
scale setting) and full screen (F11)."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication

PRESENTATION_SCALE = 1.5
SCALES = (0.8, 1.0, 1.25, 1.5, 1.75, 2.0)
_BASE: dict[str, float] = {}


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
    caption.setStyleSheet("" if scale == 1.0 else
                          f"font-size: {base * scale * 1.2:.1f}pt; font-weight: 600")
    fit_caption(caption, base * scale * (1.2 if scale != 1.0 else 1.0),
                lines=2 if scale == 1.0 else 3)  # larger text wraps once more at 1024 px
    browser.fit_text(scale)
    tiers.set_font_scale(base * scale)


def fit_caption(label, point_size: float | None = None, lines: int = 2) -> None:
    """Room for two lines of caption (three with larger text), always: a caption may wrap, and the layout must
    neither clip it nor jump between one and two lines while stepping."""
    font = QFont(label.font())
    if point_size:
        font.setPointSizeF(point_size)
    label.setFixedHeight(lines * QFontMetrics(font).lineSpacing() + 6)


def next_font_scale(now: float, direction: int) -> float:
    """The next larger (direction > 0) or smaller scale; `now` at either end of SCALES."""
    bigger = [s for s in SCALES if s > now + 1e-6]
    smaller = [s for s in SCALES if s < now - 1e-6]
    if direction > 0 and bigger:
        return bigger[0]
    if direction < 0 and smaller:
        return smaller[-1]
    return now
