"""The image browser: thumbnails with tier badges and top-1 class, filter by tier, sort."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (QAbstractListModel, QModelIndex, QPersistentModelIndex,
                            QSortFilterProxyModel, QSize, Qt, Signal)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (QApplication, QComboBox, QHBoxLayout, QLabel, QListView,
                               QVBoxLayout, QWidget)

from advgui.core.analysis import palette
from advgui.core.tiers import Tier, TierThresholds
from advgui.ui.workers.thumbnails import THUMB

TIER_COLOURS = {t: QColor(palette.TIERS[t.value]) for t in Tier}
PathRole = Qt.ItemDataRole.UserRole + 1
ConfidenceRole = Qt.ItemDataRole.UserRole + 2
TierRole = Qt.ItemDataRole.UserRole + 3


@dataclass
class Entry:
    path: str
    confidence: float = -1.0
    top1_name: str = ""
    error: str = ""
    top1: int = -1
    truth: int = -1  # the true class when a labels file or wnid names it, else -1
    truth_name: str = ""
    thumb: QImage | None = None
    decorated: QPixmap | None = None


# Thumbnails kept in memory (about 88 KB each with its badge icon): scrolling through a folder of
# 100,000 photos must not keep them all; one dropped is made again when its row is painted.
MAX_THUMBNAILS = 1000


class ImageListModel(QAbstractListModel):
    thumbnailWanted = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.rows: dict[str, int] = {}
        self.thresholds = TierThresholds()
        self._with_thumb: OrderedDict[int, None] = OrderedDict()  # oldest first
        self._counts = self._zero_counts()

    @staticmethod
    def _zero_counts() -> dict[str, int]:
        return {**{t.value: 0 for t in Tier}, "unreadable": 0, "labelled": 0, "right": 0}

    def _count(self, e: Entry, sign: int) -> None:
        """Counts kept as verdicts arrive: recounting 50,000 entries per verdict was quadratic."""
        t = self.tier(e)
        if t:
            self._counts[t.value] += sign
        self._counts["unreadable"] += sign * bool(e.error)
        if e.truth >= 0 and e.top1 >= 0:
            self._counts["labelled"] += sign
            self._counts["right"] += sign * (e.top1 == e.truth)

    def set_paths(self, paths: list[str]) -> None:
        self.beginResetModel()
        self.entries = [Entry(p) for p in paths]
        self.rows = {p: i for i, p in enumerate(paths)}
        self._with_thumb.clear()
        self._counts = self._zero_counts()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.entries)

    def tier(self, entry: Entry) -> Tier | None:
        return None if entry.confidence < 0 else self.thresholds.tier_of(entry.confidence)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            name = Path(e.path).name
            detail = e.top1_name if e.confidence >= 0 else ("unreadable" if e.error else "…")
            if e.truth >= 0 and e.top1 >= 0:
                detail = ("✓ " if e.top1 == e.truth else "✗ ") + detail
            return f"{name[:22]}\n{detail[:24]}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if e.error:
                return f"{e.path}\n{e.error}"
            truth = f"\ntrue label: {e.truth_name}" if e.truth >= 0 else "\ntrue label unknown"
            if e.confidence >= 0:
                verdict = ("" if e.truth < 0 else " — right" if e.top1 == e.truth else " — wrong")
                return f"{e.path}\ntop-1 {e.top1_name} ({100 * e.confidence:.1f} %){verdict}{truth}"
            return e.path + truth
        if role == Qt.ItemDataRole.DecorationRole:
            if e.thumb is None and not e.error:
                self.thumbnailWanted.emit(e.path)  # lazily: only rows the view paints
                return self._decorate(e)  # same size as the final icon, so the grid is stable
            if e.decorated is None:
                e.decorated = self._decorate(e)
            return e.decorated
        if role == PathRole:
            return e.path
        if role == ConfidenceRole:
            return e.confidence
        if role == TierRole:
            t = self.tier(e)
            return t.value if t else ""
        return None

    def _decorate(self, e: Entry) -> QPixmap:
        pix = QPixmap(THUMB, THUMB)
        pix.fill(QColor(0, 0, 0, 0))
        p = QPainter(pix)
        if e.thumb is not None:
            img = e.thumb
            p.drawImage((THUMB - img.width()) // 2, (THUMB - img.height()) // 2, img)
        tier = self.tier(e)
        if tier is not None:
            label = tier.value.upper()
            font = QFont()
            font.setPixelSize(11)
            font.setBold(True)
            p.setFont(font)
            w = p.fontMetrics().horizontalAdvance(label) + 10
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(TIER_COLOURS[tier])
            p.drawRoundedRect(2, 2, w, 16, 4, 4)
            p.setPen(QColor("white"))
            p.drawText(2, 2, w, 16, Qt.AlignmentFlag.AlignCenter, label)
        elif e.error:
            p.setPen(QColor("#d0473c"))
            p.drawText(0, 0, THUMB, THUMB, Qt.AlignmentFlag.AlignCenter, "unreadable")
        p.end()
        return pix

    def _changed(self, row: int) -> None:
        self.entries[row].decorated = None
        idx = self.index(row)
        self.dataChanged.emit(idx, idx)

    def set_thumbnail(self, path: str, image: QImage) -> None:
        row = self.rows.get(path)
        if row is None:
            return
        self.entries[row].thumb = image
        self._with_thumb[row] = None
        self._with_thumb.move_to_end(row)
        while len(self._with_thumb) > MAX_THUMBNAILS:
            old, _ = self._with_thumb.popitem(last=False)
            self.entries[old].thumb = self.entries[old].decorated = None
        self._changed(row)

    def set_verdict(self, path: str, confidence: float, top1_name: str, error: str,
                    top1: int = -1) -> None:
        row = self.rows.get(path)
        if row is not None:
            e = self.entries[row]
            self._count(e, -1)
            e.confidence, e.top1_name, e.error, e.top1 = confidence, top1_name, error, top1
            self._count(e, +1)
            self._changed(row)

    def set_truth(self, path: str, truth: int, name: str) -> None:
        row = self.rows.get(path)
        if row is not None:
            e = self.entries[row]
            self._count(e, -1)
            e.truth, e.truth_name = truth, name
            self._count(e, +1)

    def set_thresholds(self, thresholds: TierThresholds) -> None:
        self.thresholds = thresholds
        self._counts = self._zero_counts()
        for e in self.entries:
            e.decorated = None
            self._count(e, +1)
        if self.entries:
            self.dataChanged.emit(self.index(0), self.index(len(self.entries) - 1))

    def tier_counts(self) -> dict[str, int]:
        return {k: self._counts[k] for k in [t.value for t in Tier] + ["unreadable"]}

    def truth_counts(self) -> tuple[int, int]:
        """(right, labelled) over the classified images whose true label is known."""
        return self._counts["right"], self._counts["labelled"]


class TierFilter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.tier = ""

    def set_tier(self, tier: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            self.tier = tier
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.tier = tier
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        if not self.tier:
            return True
        return self.sourceModel().index(row, 0, parent).data(TierRole) == self.tier


class ImageBrowser(QWidget):
    """Thumbnail grid plus tier filter and sort order; emits the selected path."""

    imageSelected = Signal(str)

    def __init__(self, model: ImageListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = TierFilter()
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(PathRole)
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.setGridSize(QSize(THUMB + 24, THUMB + 40))
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setWordWrap(True)
        self.view.setModel(self.proxy)
        self.view.selectionModel().currentChanged.connect(self._current)
        self.filter = QComboBox()
        self.filter.addItem("All tiers", "")
        for t in Tier:
            self.filter.addItem(f"{t.value.capitalize()} confidence", t.value)
        self.filter.currentIndexChanged.connect(lambda _i: self.proxy.set_tier(self.filter.currentData()))
        self.sort = QComboBox()
        self.sort.addItems(["Sort by name", "Sort by confidence ↓", "Sort by confidence ↑"])
        self.sort.currentIndexChanged.connect(self._resort)
        for combo in (self.filter, self.sort):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter, 1)
        top.addWidget(self.sort, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view)

    def _resort(self, mode: int) -> None:
        if mode == 0:
            self.proxy.setSortRole(PathRole)
            self.proxy.sort(0, Qt.SortOrder.AscendingOrder)
        else:
            self.proxy.setSortRole(ConfidenceRole)
            self.proxy.sort(0, Qt.SortOrder.DescendingOrder if mode == 1 else Qt.SortOrder.AscendingOrder)

    def _current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.imageSelected.emit(current.data(PathRole))

    def fit_text(self, scale: float) -> None:
        """Room for the two text lines under each thumbnail at the current font."""
        lines = QFontMetrics(QApplication.font()).lineSpacing()  # the view's font is the old one
        self.view.setGridSize(QSize(int(THUMB + 24 * scale), THUMB + 2 * lines + 12))
        self.view.setUniformItemSizes(False)  # drops the item size cached at the old font
        self.view.setUniformItemSizes(True)
        self.view.doItemsLayout()

    def select_path(self, path: str) -> None:
        row = self.model.rows.get(path)
        if row is not None:
            index = self.proxy.mapFromSource(self.model.index(row))
            if index.isValid():
                self.view.setCurrentIndex(index)

    def step(self, delta: int) -> None:
        """The next (+1) or previous (-1) image in the order shown."""
        count = self.proxy.rowCount()
        if not count:
            return
        row = self.view.currentIndex().row()
        row = 0 if row < 0 else max(0, min(count - 1, row + delta))
        self.view.setCurrentIndex(self.proxy.index(row, 0))

    def select_first(self) -> None:
        if self.proxy.rowCount():
            self.view.setCurrentIndex(self.proxy.index(0, 0))
