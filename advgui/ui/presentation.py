"""Presentation mode: every text and chart label scaled for a room (View > Presentation, the font
scale setting) and full screen (F11)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
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


class PresentationLayout(QObject):
    """The window's columns for a room: the browser column steps aside (PgUp/PgDown still
    change the photo), the tier panel goes under the attack panel into the room that stayed
    empty under Run, and the charts get the width. Leaving restores the splitter sizes the
    user had. At 1024 x 768 with Larger Text x2 three columns left the charts 330 px: class rows
    stacked into each other, the photos shrank to icons, "Next step" was cut."""

    # The controls' column in a room: at 1024 x 768 its combos elide, the charts need the width
    # more; a wide screen gives it a quarter of the width (at 1920 its combos were cut too).
    RIGHT_WIDTH = 350

    def __init__(self, splitter, left, tiers, right, toolbar) -> None:
        super().__init__(splitter)
        self.note = None  # a lesson's note, once a lesson has been given
        self.note_home = None
        self.splitter, self.left, self.tiers, self.right = splitter, left, tiers, right
        self.toolbar = toolbar  # the model picker: the status bar names the model on a slide
        self.right_width = right.maximumWidth()
        splitter.installEventFilter(self)
        self.home = left.layout()  # where the tier panel lives outside presentation
        self.saved: list[int] | None = None
        self.restore: list[int] | None = None

    @property
    def on(self) -> bool:
        return self.saved is not None

    def apply(self, on: bool) -> None:
        if on == self.on:
            return
        if on:
            self.saved = self.splitter.sizes()
            self.right.layout().insertWidget(1, self.tiers)
            self.left.hide()
            self.toolbar.hide()
            self._fit_right()
            self._place_note()
            return
        saved, self.saved = self.saved, None
        self.home.addWidget(self.tiers)
        self.left.show()
        self.toolbar.show()
        self.right.setMaximumWidth(self.right_width)
        self._place_note()
        # Once the text is back at its size (the panels' wishes follow it) and again after the
        # layout's pass: set at once, the large text's wider panel took the sizes back.
        self.restore = saved
        QTimer.singleShot(0, self.settle)

    def place_note(self, note) -> None:
        """A lesson's note: under the caption outside presentation; in it, in the right column
        under Run in place of the tier panel while it is open (at x2 under the caption it
        took the charts' row down to one bar and two icons)."""
        if self.note is not note:
            self.note = note
            self.note_home = note.parentWidget().layout()
            note.installEventFilter(self)
        self._place_note()

    def _place_note(self) -> None:
        if self.note is None:
            return
        is_open = not self.note.isHidden()  # before the move: moving hides it until shown again
        if self.on:
            self.right.layout().insertWidget(1, self.note)
        elif self.note_home.indexOf(self.note) < 0:
            self.note_home.insertWidget(1, self.note)  # under the caption, its first place
        self.tiers.setVisible(not (self.on and is_open))

    def _fit_right(self) -> None:
        self.right.setMaximumWidth(max(self.RIGHT_WIDTH, self.splitter.width() // 4))

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.splitter:
            if event.type() == QEvent.Type.Resize and self.on:
                self._fit_right()
            return False
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide) and self.on:
            self.tiers.setVisible(event.type() == QEvent.Type.Hide)
        return False

    def settle(self, tries: int = 3) -> None:
        """The user's sizes back. A view still laid out for the large text (the Explain tab's
        five maps in a row) is wider than they allow until its own pass: it took 10 px from the
        browser at each leaving, so the sizes are set again until they hold."""
        if self.restore is not None and not self.on:
            self.splitter.setSizes(self.restore)
            if self.splitter.sizes() != self.restore and tries > 1:
                QTimer.singleShot(0, lambda: self.settle(tries - 1))

    def fit_charts(self, charts, pair, scale: float) -> None:
        """Above x1.5 on a slide the bars' rows need the height more than the trajectory its
        seven lines (at 1024 x 768, x2 the bars were left 120 px for ten rows): its axis label
        goes (the caption says "Step k of n") and five lines still show the rise from 0 to
        100 % over the step numbers."""
        big = self.on and scale > PRESENTATION_SCALE
        pair.set_side_by_side(big)  # two photos in a row, beside the bars: half the width
        charts.row.setStretch(charts.row.indexOf(pair), 5 if big else 2)
        axis = charts.trajectory.getAxis("bottom")
        axis.showLabel(not big)
        if big:
            line = QFontMetrics(charts.font()).height()
            axis.setHeight(line + 12)
            charts.trajectory.setMinimumHeight(5 * line)

    def fit_controls(self, attack_panel, tiers) -> None:
        """The right column holds the attack panel and the tier panel at x2: the folder's tier
        counts (its browser is aside) and the small-print units under epsilon make room for
        the tier panel's verdict and its band's ticks."""
        tiers.counts.setVisible(not self.on)
        attack_panel.eps_units.setVisible(not self.on)
