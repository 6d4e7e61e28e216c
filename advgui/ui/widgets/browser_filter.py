"""The browser's filter and sort: by tier and by right/wrong, sorted by name or confidence.

The order is applied when asked (a combo changed, the refresh button, the folder's last verdict
in), never as each verdict arrives: re-sorting on every verdict moved the rows under the user's
pointer every couple of seconds while a big folder was classified."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QSortFilterProxyModel, Qt


class Verdicts(Enum):
    """Which images by their top-1 against the true label."""
    ALL = ""
    RIGHT = "right"
    WRONG = "wrong"


class SortOrder(Enum):
    NAME = "name"
    CONFIDENCE_DOWN = "confidence ↓"
    CONFIDENCE_UP = "confidence ↑"


class BrowserFilter(QSortFilterProxyModel):
    """Rows of an ImageListModel whose tier and verdict match; ties in confidence by name."""

    def __init__(self) -> None:
        super().__init__()
        self.tier = ""  # "" for every tier
        self.verdicts = Verdicts.ALL
        self.order = SortOrder.NAME
        self.setDynamicSortFilter(False)  # see the module's docstring

    # -- what the user chose (each applies at once: the user asked for it) ------------------------
    def set_tier(self, tier: str) -> None:
        self.tier = tier
        self.apply()

    def set_verdicts(self, verdicts: Verdicts) -> None:
        self.verdicts = verdicts
        self.apply()

    def set_order(self, order: SortOrder) -> None:
        self.order = order
        self.apply()

    def apply(self) -> None:
        """Filter and sort again with the verdicts known now."""
        self.invalidate()
        self.sort(0, Qt.SortOrder.AscendingOrder)  # the keys carry the direction

    # -- QSortFilterProxyModel ----------------------------------------------------------------------
    def filterAcceptsRow(self, row: int, parent) -> bool:
        entry = self.sourceModel().entries[row]
        if self.tier:
            tier = self.sourceModel().tier(entry)
            if tier is None or tier.value != self.tier:
                return False
        if self.verdicts is not Verdicts.ALL:
            if entry.truth < 0 or entry.top1 < 0:
                return False
            return (entry.top1 == entry.truth) == (self.verdicts is Verdicts.RIGHT)
        return True

    def _key(self, row: int) -> tuple:
        entry = self.sourceModel().entries[row]
        if self.order is SortOrder.NAME:
            return (entry.path,)
        unknown = entry.confidence < 0  # not classified yet, or unreadable: at the end
        sign = -1.0 if self.order is SortOrder.CONFIDENCE_DOWN else 1.0
        return (unknown, sign * entry.confidence, entry.path)

    def lessThan(self, left, right) -> bool:
        return self._key(left.row()) < self._key(right.row())
