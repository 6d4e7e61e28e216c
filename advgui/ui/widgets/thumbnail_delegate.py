"""One cell of the browser's grid: the thumbnail with its tier badge and ✓/✗ mark, the file name
cut in the middle (the end tells ILSVRC2012_val_00000347.jpg from …355.jpg) and the top-1 class."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from advgui.core.analysis import palette
from advgui.core.file_names import shown_name
from advgui.core.tiers import Tier

PAD = 4  # around the thumbnail and between the text lines
TIER_COLOURS = {t: QColor(palette.TIERS[t.value]) for t in Tier}
RIGHT_COLOUR, WRONG_COLOUR = QColor("#2e8540"), QColor("#c62828")
EntryRole = Qt.ItemDataRole.UserRole + 4


def cell_size(icon: int, font: QFont) -> QSize:
    """The grid's cell: the thumbnail and two lines of text under it."""
    return QSize(icon + 4 * PAD, icon + 3 * PAD + 2 * QFontMetrics(font).lineSpacing())


def elide_name(name: str, metrics: QFontMetrics, width: int) -> str:
    """A file name cut in the middle, keeping more of its end: the numbers that tell photos of
    one folder apart are at the end (ILSV…00000347.jpg), and a few first letters tell the
    folder's kinds of name apart (cat_… and dog_…)."""
    if metrics.horizontalAdvance(name) <= width:
        return name
    head = ""
    for ch in name[:6]:  # at most a third of the width for the start
        if metrics.horizontalAdvance(head + ch + "…") > width // 3:
            break
        head += ch
    room = width - metrics.horizontalAdvance(head + "…")
    tail = ""
    for ch in reversed(name[len(head):]):
        if metrics.horizontalAdvance(ch + tail) > room:
            break
        tail = ch + tail
    return head + "…" + tail


def text_lines(entry, metrics: QFontMetrics, width: int) -> tuple[str, str]:
    """The two lines under a thumbnail as painted: the name cut in the middle, then the top-1
    class (with ✓/✗ against the true label) cut at its end."""
    name = elide_name(shown_name(Path(entry.path).name), metrics, width)  # one line, a⏎b.png
    if entry.error:
        detail = "unreadable"
    elif entry.confidence < 0:
        detail = "…"
    else:
        detail = entry.top1_name
        if entry.truth >= 0 and entry.top1 >= 0:
            detail = ("✓ " if entry.top1 == entry.truth else "✗ ") + detail
    return name, metrics.elidedText(detail, Qt.TextElideMode.ElideRight, width)


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, model, icon: int) -> None:
        super().__init__()
        self.model = model  # the ImageListModel: tiers at its thresholds
        self.icon = icon
        self.cell = QSize()  # the grid's cell, widened to fill the view's width (ImageBrowser)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return self.cell if self.cell.isValid() else cell_size(self.icon, option.font)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        entry = index.data(EntryRole)
        if entry is None:
            return
        rect: QRect = option.rect
        pal: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            colour = pal.color(QPalette.ColorRole.Highlight)
            if not selected:
                colour.setAlpha(50)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 4, 4)
        box = QRect(rect.left() + (rect.width() - self.icon) // 2, rect.top() + PAD,
                    self.icon, self.icon)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            painter.drawPixmap(box.left() + (self.icon - pixmap.width()) // 2,
                               box.top() + (self.icon - pixmap.height()) // 2, pixmap)
        else:  # still being made (or unreadable): a quiet placeholder of the same size
            painter.fillRect(box.adjusted(6, 6, -6, -6), pal.color(QPalette.ColorRole.Midlight))
        self._badges(painter, box, entry)
        metrics = QFontMetrics(option.font)
        width = rect.width() - 2 * PAD
        name, detail = text_lines(entry, metrics, width)
        line = metrics.lineSpacing()
        top = box.bottom() + PAD
        text = pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setFont(option.font)
        painter.setPen(text)
        centre = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        painter.drawText(QRect(rect.left() + PAD, top, width, line), centre, name)
        if entry.error:
            painter.setPen(WRONG_COLOUR if not selected else text)
        painter.drawText(QRect(rect.left() + PAD, top + line, width, line), centre, detail)
        painter.restore()

    def _badges(self, painter: QPainter, box: QRect, entry) -> None:
        """The tier at the thumbnail's top left, ✓ or ✗ at its top right: read at a glance."""
        font = QFont(painter.font())
        font.setPixelSize(max(9, self.icon // 9))
        font.setBold(True)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        height = metrics.height() + 2
        tier = self.model.tier(entry)
        if tier is not None:
            label = tier.value.upper()
            badge = QRect(box.left() + 2, box.top() + 2,
                          metrics.horizontalAdvance(label) + 8, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(TIER_COLOURS[tier])
            painter.drawRoundedRect(badge, 4, 4)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
        if entry.truth >= 0 and entry.top1 >= 0:
            right = entry.top1 == entry.truth
            mark = QRect(box.right() - height - 1, box.top() + 2, height, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(RIGHT_COLOUR if right else WRONG_COLOUR)
            painter.drawEllipse(mark)
            painter.setPen(QColor("white"))
            painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "✓" if right else "✗")
