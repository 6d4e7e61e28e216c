"""The photo being fooled beside the charts: the clean image, its adversarial twin at the step on
screen (and the perturbation, amplified, on demand) under a large headline such as
"clean: turnstile 14 % → adversarial: quill 100 %" (what AdvEx and Adversarial Playground show)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QBoxLayout, QCheckBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from advgui.core.analysis import palette
from advgui.core.app_state.attack_record import AttackRecord
from advgui.core.app_state.perturbation import perturbation_view

HEADLINE_SCALE = 1.5  # the headline's size against the window's text
LIVE_REDRAW_MS = 50  # live steps closer together than this share one redraw of the photos


def percent(p: float) -> str:
    """A probability as the headline says it: whole percent, one decimal below 10 %."""
    value = 100 * float(p)
    return f"{value:.0f} %" if value >= 9.95 else f"{value:.1f} %"


def headline(names: tuple[str, ...], clean: np.ndarray | None, now: np.ndarray | None,
             top: int = -1, confidence: float = -1.0) -> str:
    """'clean: X p % → adversarial: Y q %'; the clean part alone before an attack."""
    def name(i: int) -> str:
        return names[i] if 0 <= i < len(names) else f"class {i}"

    if clean is not None:
        top, confidence = int(np.argmax(clean)), float(clean[int(np.argmax(clean))])
    if top < 0:
        return ""
    text = f"clean: {name(top)} {percent(confidence)}"
    if now is not None:
        lead = int(np.argmax(now))
        text += f" → adversarial: {name(lead)} {percent(now[lead])}"
    return text


def as_qimage(pixels: np.ndarray) -> QImage:
    a = np.ascontiguousarray(pixels[..., :3].astype(np.uint8))
    return QImage(a.data, a.shape[1], a.shape[0], 3 * a.shape[1],
                  QImage.Format.Format_RGB888).copy()


class PhotoPane(QWidget):
    """One image scaled to fit (aspect kept) with a one-line title over it; the layout never
    depends on the image, so stepping does not move anything."""

    def __init__(self, title: str, colour: str = "") -> None:
        super().__init__()
        self.title = title
        self.colour = colour  # the title in its bars' colour: the photo is the key to the bars
        self.image: QImage | None = None
        # What to do while there is no image, wrapped in its empty place: on the title's one
        # line "adversarial: run an attack" was cut to "adversarial: ru…" at 1024 x 768.
        self.hint = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(60, 40)

    def show_image(self, image: QImage | None, title: str, hint: str = "") -> None:
        self.image, self.title, self.hint = image, title, hint
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(160, 160)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        band = metrics.height() + 2
        if self.colour:
            painter.setPen(QColor(self.colour))
        painter.drawText(QRect(0, 0, self.width(), band), int(Qt.AlignmentFlag.AlignCenter),
                         metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, self.width()))
        room = QRect(0, band, self.width(), self.height() - band)
        if self.image is None or room.height() < 4:
            painter.fillRect(room.adjusted(4, 4, -4, -4), QColor(128, 128, 128, 40))
            if self.hint:
                painter.setFont(self.font())
                painter.setPen(self.palette().color(self.foregroundRole()))
                painter.drawText(room.adjusted(8, 8, -8, -8), int(
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.hint)
        else:
            scaled = self.image.scaled(room.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            painter.drawImage(room.x() + (room.width() - scaled.width()) // 2, room.y(), scaled)
        painter.end()


class PairView(QWidget):
    """Binds to the window's state (it renders what the state holds, keeps no copies beyond the
    photo of the selected file)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = QLabel("")
        self.headline.setObjectName("headline")
        self.headline.setWordWrap(True)
        self.headline.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.clean = PhotoPane("clean", palette.CLEAN)
        self.adversarial = PhotoPane("adversarial", palette.ADVERSARIAL)
        self.perturbation = PhotoPane("perturbation")
        self.perturbation.setVisible(False)
        self.show_perturbation = QCheckBox("Perturbation")
        self.show_perturbation.setToolTip("Also show the change, amplified (grey = unchanged)")
        self.show_perturbation.toggled.connect(self._toggle_perturbation)
        self.tiles = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        for pane in (self.clean, self.adversarial, self.perturbation):
            self.tiles.addWidget(pane, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.tiles, 1)
        layout.addWidget(self.show_perturbation)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self._state = None
        self._photo: tuple[str, QImage | None] = ("", None)
        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live.setInterval(LIVE_REDRAW_MS)
        self._live.timeout.connect(self.render)
        self._fit_headline()

    def set_side_by_side(self, on: bool) -> None:
        """The photos in a row (presentation at large text: the charts' row is short and wide;
        stacked, two photos were icons at 1024 x 768)."""
        self.tiles.setDirection(QBoxLayout.Direction.LeftToRight if on
                                else QBoxLayout.Direction.TopToBottom)

    def bind(self, state) -> None:
        """Follow the window's state: a new image, verdict, attack, step or playback position."""
        self._state = state
        for event in ("model", "image", "verdict", "attack", "cursor"):
            state.subscribe(event, self.render)
        state.subscribe("step", self._live.start)

    # -- what is shown ---------------------------------------------------------------------------
    def render(self) -> None:
        state = self._state
        if state is None:
            return
        names = state.model.class_names if state.model else ()
        record: AttackRecord | None = state.shown
        if record is None:
            v = state.verdict
            self.headline.setText(headline(names, None, None, v.top1 if v else -1,
                                           v.confidence if v else -1.0))
            self.clean.show_image(self._file_photo(state.path), "clean")
            self.adversarial.show_image(None, "adversarial", "run an attack")
            self.perturbation.show_image(None, "perturbation")
            return
        k = record.clamp(state.cursor)
        now = record.probabilities_at(k) if k else None
        self.headline.setText(headline(names, record.start.clean_probabilities, now))
        clean = record.start.clean_pixels
        self.clean.show_image(as_qimage(clean), "clean")
        if k == 0:
            self.adversarial.show_image(None, "adversarial", f"step 0 of {record.total}")
            self.perturbation.show_image(None, "perturbation")
            return
        adv = record.pixels_at(k)
        self.adversarial.show_image(as_qimage(adv), "adversarial")
        if self.show_perturbation.isChecked():
            view = perturbation_view(clean, adv)
            self.perturbation.show_image(as_qimage(view.amplified),
                                         f"perturbation ×{view.factor:.0f}")

    def _file_photo(self, path: str) -> QImage | None:
        """The selected file itself before any attack (kept for the one selected file)."""
        if path != self._photo[0]:
            image = None
            try:
                with Image.open(path) as im:
                    im.draft("RGB", (400, 400))
                    im = im.convert("RGB")
                    im.thumbnail((400, 400))
                    image = as_qimage(np.asarray(im))
            except (OSError, ValueError, Image.DecompressionBombError):
                image = None  # the browser and status bar say why
            self._photo = (path, image)
        return self._photo[1]

    def _toggle_perturbation(self, on: bool) -> None:
        self.perturbation.setVisible(on)
        self.render()

    # -- text size ---------------------------------------------------------------------------------
    def event(self, event) -> bool:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange):
            self._fit_headline()
        return super().event(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name): the headline's width
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._fit_headline)

    def _fit_headline(self) -> None:
        """HEADLINE_SCALE times the text, smaller (down to the text's size) until a long
        headline fits two lines of the width it has."""
        base = self.font().pointSizeF()
        font = QFont(self.font())
        font.setBold(True)
        width = max(self.headline.width(), 200)
        sample = "clean: Chesapeake Bay retriever 100 % → adversarial: pay-phone 100 %"
        size = base * HEADLINE_SCALE
        while size > base:
            font.setPointSizeF(size)
            metrics = QFontMetrics(font)
            if metrics.boundingRect(QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap),
                                    sample).height() <= 2 * metrics.lineSpacing():
                break
            size -= 0.5
        font.setPointSizeF(max(size, base))
        self.headline.setFont(font)
        # Two lines always: a headline that wraps at one step and not the next must not move
        # the charts under it.
        self.headline.setFixedHeight(2 * QFontMetrics(font).lineSpacing() + 4)

    # -- saving ------------------------------------------------------------------------------------
    def picture(self, width: int) -> QImage:
        """The headline over the photos side by side, ``width`` pixels wide (saved charts)."""
        panes = [p for p in (self.clean, self.adversarial, self.perturbation)
                 if p.isVisible() or p is not self.perturbation]
        font = QFont(self.headline.font())
        font.setPointSizeF(font.pointSizeF() * width / max(self.window().width(), 800) * 1.6)
        metrics = QFontMetrics(font)
        text = self.headline.text()
        text_rect = metrics.boundingRect(QRect(0, 0, width - 32, 100_000),
                                         int(Qt.TextFlag.TextWordWrap), text)
        band = text_rect.height() + 24
        side = min((width - 16 * (len(panes) + 1)) // len(panes), int(0.4 * width))
        left = (width - len(panes) * side - 16 * (len(panes) - 1)) // 2
        title_font = QFont(self.font())
        title_font.setPointSizeF(font.pointSizeF() * 0.6)
        title_font.setBold(True)
        title_band = QFontMetrics(title_font).height() + 8
        image = QImage(width, band + title_band + side + 16, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setPen(QColor("black"))
        painter.setFont(font)
        painter.drawText(QRect(16, 12, width - 32, band), int(Qt.TextFlag.TextWordWrap), text)
        painter.setFont(title_font)
        for i, pane in enumerate(panes):
            x = left + i * (side + 16)
            painter.setPen(QColor(pane.colour or "black"))
            painter.drawText(QRect(x, band, side, title_band),
                             int(Qt.AlignmentFlag.AlignCenter), pane.title)
            if pane.image is not None:
                scaled = pane.image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)
                painter.drawImage(x + (side - scaled.width()) // 2, band + title_band, scaled)
        painter.end()
        return image
