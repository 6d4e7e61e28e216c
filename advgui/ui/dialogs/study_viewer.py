"""File › Open Study: any study folder, read only. The seed's table with its Wilson intervals,
the figures the study wrote, and its per-image rows; choosing a row shows that photo and its
saved adversarial side by side, the top-5 as recorded and the attack's settings.

Also what the window does with studies: the recent-studies list (QSettings) and the offer to
open a study that finished while its batch dialog was closed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFileDialog, QFormLayout, QGridLayout,
                               QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton, QScrollArea, QSplitter,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from advgui.core.file_names import shown_name
from advgui.core.wording import count_noun
from advgui.ui.dialogs.batch_results import BatchResults
from advgui.ui.dialogs.study_record import (FIGURES, names_in_rows, read_study, settings_text,
                                             top5)

RECENT_KEY, RECENT_MAX = "studies/recent", 8
PHOTO_PX = 230
ZWSP = "\u200b"  # zero-width space: where a long file name may wrap
FILE_COLUMN_PX = 170  # file names elided in the middle: the attack's columns stay in view
# The per-image table: (heading, images.csv column, numeric). Numeric columns sort as numbers.
# What tells one row of a photo from another (the attack) comes first, then what it did.
ROW_COLUMNS = (("file", "file", False), ("method", "method", False),
               ("target", "target", False), ("ε", "eps", True),
               ("clean", "clean_top1_name", False), ("clean %", "clean_top1_probability", True),
               ("adversarial", "adv_top1_name", False), ("adv %", "adv_top1_probability", True),
               ("changed", "top1_error_clean", False), ("ε to flip", "eps_to_flip", True),
               ("PSNR", "psnr", True), ("tier", "tier", False), ("status", "status", False))


class _Cell(QTableWidgetItem):
    """A cell that sorts by its number where it has one (a blank sorts first)."""

    def __init__(self, text: str, numeric: bool) -> None:
        super().__init__(text)
        self.key: float | str = text
        if numeric:
            try:
                self.key = float(text)
            except ValueError:
                self.key = float("-inf")

    def __lt__(self, other: QTableWidgetItem) -> bool:
        key = getattr(other, "key", other.text())
        if type(self.key) is type(key):
            return self.key < key
        return str(self.key) < str(key)


class StudyViewer(BatchResults, QDialog):
    """One study folder, read only (it writes nothing there, and says what it cannot show)."""

    def __init__(self, folder: Path, class_names: list[str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Study — {folder.name}")
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen else None
        # Most of the screen (the photos grow with it), all of a 1024x768 one.
        self.resize(min(max(1100, int(room.width() * 0.8)), room.width() - 40) if room else 1000,
                    min(max(820, int(room.height() * 0.85)), room.height() - 60) if room
                    else 720)
        self.class_names = class_names
        self.out = QLineEdit(str(folder))
        self.out.setReadOnly(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 0)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.figures = QTabWidget()
        self._pixmaps: dict[str, QPixmap] = {}  # the study's figures as written
        self.figure_labels = {name: self._figure_tab(title) for title, name in FIGURES}
        self.fragility = self.figure_labels["fragility.png"]
        self.results = QSplitter(Qt.Orientation.Vertical)
        self.results.addWidget(self.table)
        self.results.addWidget(self.figures)
        self.results.setChildrenCollapsible(False)
        self.rows = QTableWidget(0, len(ROW_COLUMNS))
        self.rows.setHorizontalHeaderLabels([h for h, _, _ in ROW_COLUMNS])
        self.rows.verticalHeader().setVisible(False)
        self.rows.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rows.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rows.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rows.itemSelectionChanged.connect(self._show_selected)
        self.rows.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.rows.setWordWrap(False)
        images = QSplitter(Qt.Orientation.Horizontal)
        images.addWidget(self.rows)
        images.addWidget(self._detail_panel())
        images.setStretchFactor(0, 3)
        images.setStretchFactor(1, 2)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.results, "Summary")
        self.tabs.addTab(images, "Images")
        # A study another run is still writing: read it again to see its new rows.
        self.reload = QPushButton("Read again")
        self.reload.setToolTip("Read the folder again (a study still running adds rows)")
        self.reload.clicked.connect(self._reload)
        top = QHBoxLayout()
        top.addWidget(self.out, 1)
        top.addWidget(self.reload)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self.record = read_study(folder)
        self._show_record()

    def _reload(self) -> None:
        self.record = read_study(self.record.folder)
        self._pixmaps.clear()
        self._show_record()

    # -- building ------------------------------------------------------------------------------------
    def _detail_panel(self) -> QWidget:
        panel = QWidget()
        grid = QGridLayout(panel)
        self.headline = QLabel("Choose a row to see its photo and adversarial.")
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.headline.setFont(font)
        self.clean_photo, self.adversarial_photo = QLabel(), QLabel()
        for label in (self.clean_photo, self.adversarial_photo):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            label.setMinimumSize(160, 160)
        self.clean_top5, self.adversarial_top5 = QLabel(), QLabel()
        self.settings = QFormLayout()
        grid.addWidget(self.headline, 0, 0, 1, 2)
        grid.addWidget(QLabel("<b>clean</b> (the study's input)"), 1, 0)
        grid.addWidget(QLabel("<b>adversarial</b> (the study's PNG)"), 1, 1)
        grid.addWidget(self.clean_photo, 2, 0)
        grid.addWidget(self.adversarial_photo, 2, 1)
        grid.addWidget(self.clean_top5, 3, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.adversarial_top5, 3, 1, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(self.settings, 4, 0, 1, 2)
        grid.setRowStretch(5, 1)
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        return scroll

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        QTimer.singleShot(0, self.fit_table)  # once the layout has sized the splitter
        QTimer.singleShot(0, self._fit_figures)
        QTimer.singleShot(0, self._show_selected)  # the photos grow with the panel

    def _fit_figures(self) -> None:
        """Each figure whole in its tab: shrunk to fit, never blown up past its own size."""
        for name, pixmap in self._pixmaps.items():
            if pixmap.isNull():
                continue
            room = self.figure_labels[name].parentWidget().size()
            if pixmap.width() > room.width() - 8 or pixmap.height() > room.height() - 8:
                pixmap = pixmap.scaled(max(room.width() - 8, 200), max(room.height() - 8, 150),
                                       Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            self.figure_labels[name].setPixmap(pixmap)

    def _plot(self, summary: list[dict], key: str) -> None:
        """The viewer shows the study's own error_by_tier.png, not a live plot."""

    # -- the record ---------------------------------------------------------------------------------
    def _show_record(self) -> None:
        record = self.record
        if record.problem:
            self.status.setText(record.problem)
            self.tabs.setEnabled(False)
            return
        self.tabs.setEnabled(True)
        model = record.manifest.get("model", {})
        named = isinstance(model, dict) and model.get("name")
        what = (f"{count_noun(len({r['file'] for r in record.rows}), 'image')}, "
                f"{count_noun(len(record.rows), 'attack row')}"
                + (f", model {model.get('name')}" if named else "")
                + (f", images from {record.inputs}" if record.inputs else "") + ".")
        self.status.setText(" ".join([what, *record.notes]))
        if record.summary:
            self.show_summary(record.summary)
        else:
            self.table.setRowCount(0)
        for title, name in FIGURES:
            data, why = record.figure(name)  # never through a link
            self._pixmaps[name] = QPixmap()
            if data is not None:
                self._pixmaps[name].loadFromData(data)
            if why:
                self.figure_labels[name].setText(
                    f"{name} is in this folder but cannot be shown: {why}. Run the study "
                    "again: its reports phase draws it again.")
            elif self._pixmaps[name].isNull() and data is not None:
                # there but unreadable (cut short, hand edited): "No ... in this folder" misled
                self.figure_labels[name].setText(
                    f"{name} is in this folder but cannot be shown (it is damaged or not a "
                    "PNG). Run the study again: its reports phase draws it again.")
            elif self._pixmaps[name].isNull():
                self.figure_labels[name].setText(
                    f"No {name} in this folder" + (" (a study of one ε draws none)."
                                                   if name == "error_vs_eps.png" else
                                                   " (a study run before advgui drew it, or one "
                                                   "that has not written its reports yet)."
                                                   if name == "feature_projection.png" else
                                                   " (the study has not written its reports yet)."))
        self._fit_figures()
        self._fill_rows()

    def _fill_rows(self) -> None:
        self.rows.setSortingEnabled(False)
        self.rows.setRowCount(len(self.record.rows))
        for i, row in enumerate(self.record.rows):
            for j, (_, column, numeric) in enumerate(ROW_COLUMNS):
                text = row.get(column, "")
                if column.endswith("probability") and text:
                    text = f"{100 * float(text):.1f}"
                elif column == "file":
                    text = shown_name(text)
                elif column == "top1_error_clean":
                    text = {"1": "yes", "0": "no"}.get(text, text)
                item = _Cell(text, numeric)
                item.setData(Qt.ItemDataRole.UserRole, i)
                self.rows.setItem(i, j, item)
        self.rows.setSortingEnabled(True)
        self.rows.sortItems(0, Qt.SortOrder.AscendingOrder)
        self.rows.resizeColumnsToContents()
        self.rows.setColumnWidth(0, min(self.rows.columnWidth(0), FILE_COLUMN_PX))
        if self.record.rows:
            self.rows.selectRow(0)

    def _show_selected(self) -> None:
        selected = self.rows.selectedItems()
        if not selected:
            return
        row = self.record.rows[selected[0].data(Qt.ItemDataRole.UserRole)]
        self.show_row(row)

    def show_row(self, row: dict) -> None:
        """One row: the photo and its adversarial, their top-5 as recorded, the settings."""
        record = self.record
        if row["status"] == "ok":
            self.headline.setText(
                f"clean: {row['clean_top1_name']} {100 * float(row['clean_top1_probability']):.1f} %"
                f" → adversarial: {row['adv_top1_name']} "
                f"{100 * float(row['adv_top1_probability']):.1f} %")
        else:
            self.headline.setText(f"{shown_name(row['file'])}: the attack failed "
                                  f"({row.get('error', '')})")
        clean, adversarial = record.clean_image(row), record.adversarial_image(row)
        for label, (source, why) in ((self.clean_photo, clean),
                                     (self.adversarial_photo, adversarial)):
            pixmap = QPixmap()
            if isinstance(source, bytes):
                pixmap.loadFromData(source)
            elif source:
                pixmap = QPixmap(str(source))
            if pixmap.isNull():
                label.setPixmap(QPixmap())
                # A break chance after each separator: a study's PNG name has no space, and
                # "…/ILSVRC2012_val_00027513-72fe8f29__fast_least-likely_eps8.png is missing"
                # ran past both edges of the photo's place, cut at both ends.
                what = row.get("adversarial_png", "") if isinstance(source, bytes) else source
                text = why or f"{what} is not an image Qt can read"
                for sep in "/_-":
                    text = text.replace(sep, sep + ZWSP)
                label.setText(text)
            else:
                side = max(PHOTO_PX, min(480, (self.headline.width() - 30) // 2))
                label.setPixmap(pixmap.scaled(side, side,
                                              Qt.AspectRatioMode.KeepAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation))
        for label, column, first in ((self.clean_top5, "clean_top5", "clean_top1"),
                                     (self.adversarial_top5, "adv_top5", "adv_top1")):
            lines = top5(row.get(column, ""), self.class_names or names_in_rows(record.rows))
            # The top-5 cell keeps 4 decimals: its 0.1765 said "17.6 %" under a headline's
            # "17.7 %" (0.176529). The top-1 line says the headline's number.
            if lines and row.get(column, "").partition(":")[0] == row.get(first):
                try:
                    lines[0] = (lines[0][0], float(row[f"{first}_probability"]))
                except (KeyError, ValueError):
                    pass
            label.setText("<br>".join(f"{name}: {100 * p:.1f} %" for name, p in lines))
        while self.settings.rowCount():
            self.settings.removeRow(0)
        for name, value in settings_text(record, row):
            value_label = QLabel(value)
            value_label.setWordWrap(True)
            self.settings.addRow(name, value_label)


# -- what the window does with studies -------------------------------------------------------------
def recent_studies(settings) -> list[str]:
    value = settings.value(RECENT_KEY, [])
    items = [value] if isinstance(value, str) else list(value or [])
    return [str(v) for v in items if v]


def remember_study(settings, folder: Path) -> None:
    items = [str(folder)] + [p for p in recent_studies(settings) if p != str(folder)]
    settings.setValue(RECENT_KEY, items[:RECENT_MAX])


def class_names_for(window, record_folder: Path) -> list[str] | None:
    """The window's model's class names where it is the study's model (same SHA-256)."""
    from advgui.core.study.reports import read_manifest  # noqa: PLC0415

    classifier = getattr(getattr(window, "engine", None), "classifier", None)
    model = read_manifest(record_folder).get("model", {})
    if classifier is None or not isinstance(model, dict) or model.get("sha256") != classifier.sha256:
        return None
    return list(classifier.classes.names)


def open_study(window, folder: Path) -> StudyViewer:
    """Show the study in a viewer of its own (not modal); a study folder joins the recent list."""
    viewer = StudyViewer(folder, class_names_for(window, folder), window)
    viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if not viewer.record.problem:
        remember_study(window.settings, folder)
    viewer.show()
    return viewer


def choose_and_open_study(window) -> StudyViewer | None:
    recent = recent_studies(window.settings)
    start = str(Path(recent[0]).parent) if recent else str(Path.home() / "advgui-studies")
    path = QFileDialog.getExistingDirectory(window, "Open a study folder", start)
    return open_study(window, Path(path)) if path else None


def fill_recent_menu(window, menu: QMenu) -> None:
    menu.clear()
    recent = recent_studies(window.settings)
    for path in recent:
        menu.addAction(path, lambda path=path: open_study(window, Path(path)))
    if not recent:
        menu.addAction("(no study opened yet)").setEnabled(False)
    else:
        menu.addSeparator()
        menu.addAction("Clear the List", lambda: window.settings.remove(RECENT_KEY))


def drop_offer(window) -> None:
    """Take a finished study's offer off the status bar (a new study has started: the offer
    stood beside its progress, 'Open the finished study (bg run)' beside 'Batch cancelled')."""
    bar = window.statusBar()
    old = bar.findChild(QPushButton, "open_finished_study")
    if old is not None:
        bar.removeWidget(old)
        old.setObjectName("")  # gone at once, though deleted later
        old.deleteLater()


def offer_finished_study(window, dialog, outcome) -> None:
    """A study has finished: it joins the recent list; when its dialog was closed (the study
    kept running in the background), the status bar offers to open it."""
    folder = Path(dialog.out.text())
    remember_study(window.settings, folder)
    if dialog.isVisible() or outcome.cancelled:
        # A study stopped while hidden was stopped by the user on closing its dialog: they saw
        # it stop, and the batch label says so ("run it again to resume"); nothing to offer.
        return
    bar = window.statusBar()
    drop_offer(window)  # an earlier study's
    button = QPushButton(f"Open the finished study ({folder.name})", bar)
    button.setObjectName("open_finished_study")
    button.setToolTip(str(folder))

    def open_it() -> None:
        bar.removeWidget(button)
        button.deleteLater()
        open_study(window, folder)
    button.clicked.connect(open_it)
    bar.addPermanentWidget(button)
    # The button names the study (its folder in the tooltip): the batch label saying it again
    # and the folder in the message left "The batch stud…" at 1024x768.
    window.batch_label.setText("")
    bar.showMessage(f"Batch study finished: {outcome.rows:,} rows. Ctrl+B shows its dialog.",
                    15000)
