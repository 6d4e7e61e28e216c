"""The image browser: a grid of thumbnails with tier badges, ✓/✗ and top-1 class; filters by tier
and by right/wrong, sorts by name or confidence, and tells the engine which images to classify
first (the selected one, then those on screen)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QComboBox, QGridLayout, QLabel, QListView, QSlider,
                               QStyle, QToolButton, QVBoxLayout, QWidget)

from advgui.core.tiers import Tier
from advgui.ui.widgets.browser_filter import BrowserFilter, SortOrder, Verdicts
# The list model lives in image_list_model.py; its names are imported here too because the main
# window, the tier panel and the tests import them from the browser.
from advgui.ui.widgets.image_list_model import ImageListModel, PathRole
from advgui.ui.widgets.thumbnail_delegate import TIER_COLOURS, ThumbnailDelegate, cell_size
from advgui.ui.workers.thumbnails import THUMB

__all__ = ["TIER_COLOURS", "ImageBrowser", "ImageListModel", "PathRole"]

ICON_SIZES = (56, THUMB)  # the size slider's range (thumbnails are made at THUMB = the largest)


class ImageBrowser(QWidget):
    """The thumbnail grid with its filters, sort order and thumbnail size; emits the selected
    path, and the paths to classify first (the selected image, then the rows on screen)."""

    imageSelected = Signal(str)
    priorityWanted = Signal(list)
    MAX_WANTED = 200  # rows on screen asked for first (a full 4K screen of small thumbnails)

    def __init__(self, model: ImageListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = BrowserFilter()
        self.proxy.setSourceModel(model)
        self.delegate = ThumbnailDelegate(model, model.icon)
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)  # 100,000 rows lay out in steps
        self.view.setMouseTracking(True)  # the hover highlight
        self.view.setItemDelegate(self.delegate)
        self.view.setModel(self.proxy)
        self.view.viewport().installEventFilter(self)  # its width sets the columns
        self.view.selectionModel().currentChanged.connect(self._current)
        # Scrolling asks for the rows that came on screen, once it has paused.
        self._scrolled = QTimer(self, singleShot=True, interval=150)
        self._scrolled.timeout.connect(lambda: self._want(with_current=True))
        self.view.verticalScrollBar().valueChanged.connect(lambda _v: self._scrolled.start())

        self.filter = QComboBox()  # by tier
        self.filter.addItem("All tiers", "")
        for t in Tier:
            self.filter.addItem(f"{t.value.capitalize()} confidence", t.value)
        self.filter.currentIndexChanged.connect(
            lambda _i: self._applied(self.proxy.set_tier, self.filter.currentData()))
        self.verdicts = QComboBox()  # by right/wrong
        for text, which in (("✓ and ✗", Verdicts.ALL), ("✓ right only", Verdicts.RIGHT),
                            ("✗ wrong only", Verdicts.WRONG)):
            self.verdicts.addItem(text, which)
        self.verdicts.setToolTip("Against the true labels (a labels file or the wnid in the "
                                 "file names)")
        self.verdicts.currentIndexChanged.connect(
            lambda _i: self._applied(self.proxy.set_verdicts, self.verdicts.currentData()))
        self.sort = QComboBox()
        for order in SortOrder:
            self.sort.addItem(f"Sort by {order.value}", order)
        self.sort.currentIndexChanged.connect(
            lambda _i: self._applied(self.proxy.set_order, self.sort.currentData()))
        self.refresh = QToolButton()
        self.refresh.setText("↻")
        self.refresh.setEnabled(False)
        self.refresh.clicked.connect(lambda: self._applied())
        self.count = QLabel()
        self.size = QSlider(Qt.Orientation.Horizontal)
        self.size.setRange(*ICON_SIZES)
        self.size.setValue(model.icon)
        self.size.setToolTip("Thumbnail size")
        self.size.valueChanged.connect(self.set_icon_size)
        for combo in (self.filter, self.verdicts, self.sort):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        # Three short rows rather than one long one: in presentation mode at 1024 x 768 the
        # count ("1,278 of 1,2") and the combos were cut.
        top = QGridLayout()
        top.addWidget(self.filter, 0, 0)
        top.addWidget(self.verdicts, 0, 1, 1, 2)
        top.addWidget(self.sort, 1, 0, 1, 2)
        top.addWidget(self.refresh, 1, 2)
        top.addWidget(self.count, 2, 0)
        top.addWidget(self.size, 2, 1, 1, 2)
        top.setColumnStretch(0, 1)
        top.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view)
        self._fresh = 0  # verdicts arrived since the order was applied
        model.verdictSet.connect(self._verdict_arrived)
        model.allClassified.connect(lambda: self._applied())
        model.tiersChanged.connect(lambda: self.proxy.tier and self._applied())  # user's edit
        model.modelReset.connect(self._show_count)
        self.fit_text(1.0)

    def sizeHint(self) -> QSize:
        """Room for four columns: a single column of thumbnails wasted a wide screen."""
        cell = cell_size(self.model.icon, self.view.font())
        scroll = self.view.verticalScrollBar().sizeHint().width()
        return QSize(4 * cell.width() + scroll + 8, super().sizeHint().height())

    # -- filter and sort -----------------------------------------------------------------------
    def _applied(self, change=None, *args) -> None:
        """Apply a change of filter or order (None: the same one again) with every verdict
        known now, keeping the current image in view."""
        if change is None:
            self.proxy.apply()
        else:
            change(*args)
        self._fresh = 0
        self.refresh.setEnabled(False)
        self._show_count()
        if self.view.currentIndex().isValid():
            self.view.scrollTo(self.view.currentIndex())

    def _verdict_arrived(self) -> None:
        self._fresh += 1
        if self.proxy.rowCount() == 0 and self._fresh % 16 == 1:
            # An empty grid has no row to move under the pointer: filter again, or "wrong only"
            # after a model switch said "0 of 1,278 so far" with hundreds of wrong ones known.
            self._applied()
            return
        self.refresh.setEnabled(True)
        self.refresh.setToolTip(f"Filter and sort again with the {self._fresh:,} verdicts that "
                                "arrived since (rows stay put while the folder is classified)")
        if self._fresh == 1 or self._fresh % 64 == 0:
            self._show_count()

    def _show_count(self) -> None:
        total, done = len(self.model.entries), self.model.classified
        shown = self.proxy.rowCount()
        text = f"{shown:,} of {total:,}"
        if done < total and (self.proxy.tier or self.proxy.verdicts is not Verdicts.ALL):
            text += " so far"
        self.count.setText(text)
        self.count.setToolTip(f"{shown:,} images shown of {total:,}; {done:,} classified")

    # -- size ------------------------------------------------------------------------------------
    def set_icon_size(self, icon: int) -> None:
        self.model.set_icon_size(icon)
        self.delegate.icon = icon
        self.fit_text(self._scale)

    def fit_text(self, scale: float) -> None:
        """The grid's cell for the thumbnail size and the two text lines at the current font."""
        self._scale = scale
        self.view.setFont(QApplication.font())  # the view's font may still be the old one
        self._fit_columns()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return False

    def _fit_columns(self) -> None:
        """As many columns as fit, widened to fill the view (no empty strip at its right; the
        names get the room)."""
        cell = cell_size(self.model.icon, self.view.font())
        width = self.view.viewport().width() - 2
        bar = self.view.verticalScrollBar()
        if not bar.isVisible():  # the view lays out leaving room for it (a short filtered list)
            width -= self.view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + 2
        columns = max(1, width // cell.width())
        cell.setWidth(max(cell.width(), width // columns))
        if cell == self.view.gridSize():
            return
        self.delegate.cell = cell
        self.view.setGridSize(cell)
        self.view.setUniformItemSizes(False)  # drops the item size cached at the old font
        self.view.setUniformItemSizes(True)
        self.view.doItemsLayout()
        self.updateGeometry()

    # -- selection and priority ----------------------------------------------------------------
    def _current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.imageSelected.emit(current.data(PathRole))
            self._want(with_current=True)

    def visible_paths(self) -> list[str]:
        """The rows on screen, in the order shown."""
        first = self.view.indexAt(QPoint(self.view.gridSize().width() // 2,
                                         self.view.gridSize().height() // 2))
        if not first.isValid():
            first = self.view.indexAt(QPoint(4, 4))
        if not first.isValid():
            return []
        bottom = self.view.viewport().height()
        paths = []
        for row in range(max(0, first.row() - 8), self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if self.view.visualRect(index).top() > bottom or len(paths) >= self.MAX_WANTED:
                break
            paths.append(index.data(PathRole))
        return paths

    def _want(self, with_current: bool) -> None:
        current = self.view.currentIndex()
        wanted = [current.data(PathRole)] if with_current and current.isValid() else []
        self.priorityWanted.emit(wanted + self.visible_paths())

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
