"""The browser's list of images: one entry a file with its verdict (top-1 class, confidence,
true label when known) and its thumbnail, the tier counts kept as verdicts arrive, and the cap on
thumbnails kept in memory. Apart from the grid that shows it (image_browser.py): this is the
folder's state, which the engine's verdicts update; the grid only filters, sorts and shows it."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

from advgui.core.file_names import shown_name
from advgui.core.tiers import Tier, TierThresholds
from advgui.ui.widgets.thumbnail_delegate import EntryRole

__all__ = ["ConfidenceRole", "Entry", "ImageListModel", "PathRole", "TierRole"]

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
    decorated: QPixmap | None = None  # the thumbnail at the grid's icon size, as painted


# Thumbnails kept in memory (at most about 88 KB each with its pixmap at the largest icon size):
# scrolling through a folder of 100,000 photos must not keep them all; one dropped is made again
# when its row is painted.
MAX_THUMBNAILS = 1000
DEFAULT_ICON = 80  # 1,278 photos in about 36 screens of a maximised 1920 x 1080 window


class ImageListModel(QAbstractListModel):
    thumbnailWanted = Signal(str)
    verdictSet = Signal()
    allClassified = Signal()  # every image has its verdict (or is unreadable)
    tiersChanged = Signal()  # new thresholds: the tier of each image may have changed

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.rows: dict[str, int] = {}
        self.thresholds = TierThresholds()
        self._with_thumb: OrderedDict[int, None] = OrderedDict()  # oldest first
        self._counts = self._zero_counts()
        self.icon = DEFAULT_ICON

    @staticmethod
    def _zero_counts() -> dict[str, int]:
        return {**{t.value: 0 for t in Tier}, "unreadable": 0, "labelled": 0, "right": 0,
                "decided": 0}

    def _count(self, e: Entry, sign: int) -> None:
        """Counts kept as verdicts arrive: recounting 50,000 entries per verdict was quadratic."""
        t = self.tier(e)
        if t:
            self._counts[t.value] += sign
        self._counts["unreadable"] += sign * bool(e.error)
        self._counts["decided"] += sign * (e.confidence >= 0 or bool(e.error))
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
            name = shown_name(Path(e.path).name)
            detail = e.top1_name if e.confidence >= 0 else ("unreadable" if e.error else "…")
            if e.truth >= 0 and e.top1 >= 0:
                detail = ("✓ " if e.top1 == e.truth else "✗ ") + detail
            return f"{name}\n{detail}"  # the delegate cuts them to the cell (thumbnail_delegate)
        if role == Qt.ItemDataRole.ToolTipRole:  # the path on one line, whatever its name holds
            path = shown_name(e.path)
            if e.error:
                return f"{path}\n{e.error}"
            truth = f"\ntrue label: {e.truth_name}" if e.truth >= 0 else "\ntrue label unknown"
            if e.confidence >= 0:
                verdict = ("" if e.truth < 0 else " — right" if e.top1 == e.truth else " — wrong")
                return f"{path}\ntop-1 {e.top1_name} ({100 * e.confidence:.1f} %){verdict}{truth}"
            return path + truth
        if role == Qt.ItemDataRole.DecorationRole:
            if e.thumb is None:
                if not e.error:
                    self.thumbnailWanted.emit(e.path)  # lazily: only rows the view paints
                return None
            if e.decorated is None:
                e.decorated = QPixmap.fromImage(e.thumb.scaled(
                    self.icon, self.icon, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation))
            return e.decorated
        if role == EntryRole:
            return e
        if role == PathRole:
            return e.path
        if role == ConfidenceRole:
            return e.confidence
        if role == TierRole:
            t = self.tier(e)
            return t.value if t else ""
        return None

    def _changed(self, row: int) -> None:
        idx = self.index(row)
        self.dataChanged.emit(idx, idx)

    def set_thumbnail(self, path: str, image: QImage) -> None:
        row = self.rows.get(path)
        if row is None:
            return
        self.entries[row].thumb = image
        self.entries[row].decorated = None
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
            self.verdictSet.emit()
            if self._counts["decided"] == len(self.entries):
                self.allClassified.emit()

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
            self._count(e, +1)
        if self.entries:
            self.dataChanged.emit(self.index(0), self.index(len(self.entries) - 1))
        self.tiersChanged.emit()

    def set_icon_size(self, icon: int) -> None:
        self.icon = icon
        for e in self.entries:
            e.decorated = None

    @property
    def classified(self) -> int:
        """Images with their verdict (or known unreadable)."""
        return self._counts["decided"]

    def tier_counts(self) -> dict[str, int]:
        return {k: self._counts[k] for k in [t.value for t in Tier] + ["unreadable"]}

    def truth_counts(self) -> tuple[int, int]:
        """(right, labelled) over the classified images whose true label is known."""
        return self._counts["right"], self._counts["labelled"]
