"""What the batch dialog shows of a finished study: the seed's table, the error-by-tier plot
(saved beside the CSV), and the study's own figures."""

from __future__ import annotations

from pathlib import Path

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QTableWidgetItem

from advgui.core.analysis import palette
from advgui.core.analysis.fragility import format_fragility
from advgui.core.analysis.summary import summary_rows, uses_truth
from advgui.core.records.row_log import read_csv
from advgui.core.records.schema import IMAGE_COLUMNS, image_key, validate_image_row
from advgui.core.analysis.tables import format_rate
from advgui.core.tiers import Tier

# Series of equal values would hide one another: each eps has its own marker and each target its
# own line style (as in error_by_tier.png), and series are shifted sideways a little within their
# tier.
PEN_STYLES = {"solid": Qt.PenStyle.SolidLine, "dash": Qt.PenStyle.DashLine,
              "dot": Qt.PenStyle.DotLine, "dashdot": Qt.PenStyle.DashDotLine}
DODGE = 0.06


class BatchResults:
    """Mixed into BatchDialog and StudyViewer: expects their table, plot, figures, fragility,
    status and out (the study folder's line edit)."""

    def _figure_tab(self, title: str, placeholder: str = "") -> QLabel:
        """A tab of self.figures for one of the study's PNG figures (scrollable: they are
        taller than the tab)."""
        label = QLabel(placeholder)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        view = QScrollArea()
        view.setWidget(label)
        view.setWidgetResizable(True)
        self.figures.addTab(view, title)
        return label

    def _show_rows_so_far(self, every_s: float = 2.0) -> None:
        """The table and the plot fill as rows arrive: images.csv read back (read only, as
        advgui-cli summary reads it) at most every few seconds while the study appends, and
        less often the longer a read takes (a big study's file: the window stays responsive)."""
        path = Path(self.out.text()) / "images.csv"
        when, size, slow = self._rows_read
        wait = max(every_s, slow)
        try:
            now_size = path.stat().st_size
            if now_size == size or time.monotonic() - when < wait:
                return
            started = time.monotonic()
            rows = read_csv(path, IMAGE_COLUMNS, validate_image_row, image_key).rows
            summary = summary_rows(rows)
        except (OSError, ValueError):
            return  # the finished study's summary comes with its outcome
        self._rows_read = (time.monotonic(), now_size, 20 * (time.monotonic() - started))
        if rows:
            self.show_summary(summary)

    def show_fragility(self, png: Path, correlations: list[dict]) -> None:
        """The study's own figure (drawn by core, saved beside the CSV) and its correlations."""
        pixmap = QPixmap(str(png)) if png.is_file() else QPixmap()
        if pixmap.isNull():
            self.fragility.setText("No fragility figure: no attack finished.")
            return
        width = max(600, self.figures.width() - 40)
        self.fragility.setPixmap(pixmap.scaledToWidth(
            width, Qt.TransformationMode.SmoothTransformation))
        self.fragility.setToolTip(format_fragility(correlations))

    def show_figure(self, label: QLabel, png: Path, missing: str) -> None:
        pixmap = QPixmap(str(png)) if png.is_file() else QPixmap()
        if pixmap.isNull():
            label.setText(missing)
            return
        label.setPixmap(pixmap.scaledToWidth(max(600, self.figures.width() - 40),
                                             Qt.TransformationMode.SmoothTransformation))

    def show_summary(self, summary: list[dict]) -> None:
        """The seed's layout: per target and eps, rows are tiers, columns method x top-5/top-1."""
        use_truth = uses_truth(summary)
        k1 = "top1_error_truth" if use_truth else "top1_error_clean"
        k5 = "top5_error_truth" if use_truth else "top5_error_clean"
        kind = "vs truth" if use_truth else "vs clean prediction"
        methods = [m for m in ("iterative", "fast", "pgd", "momentum")
                   if any(r["method"] == m for r in summary)]
        extras = self._extra_columns(use_truth)
        # Short headings, so the columns fit the dialog at 1024x768; what the rates count
        # against is said once, on every heading's tooltip.
        cols = ["target", "ε", "tier", "images"] + [
            f"{m}\ntop-{k} error" for m in methods for k in (5, 1)] + [
            title for title, _ in extras]
        order = [t.value for t in Tier] + ["all"]
        groups = sorted({(r["target"], r["eps"], r["tier"]) for r in summary},
                        key=lambda g: (g[0], float(g[1]), order.index(g[2])))
        self.table.clear()
        self.table.setColumnCount(len(cols))
        self.table.setHorizontalHeaderLabels(cols)
        for j in range(len(cols)):
            self.table.horizontalHeaderItem(j).setToolTip(
                f"{cols[j]} ({kind}; 95 % Wilson interval in brackets)")
        self.table.setRowCount(len(groups))
        for i, (target, eps, tier) in enumerate(groups):
            rows = {r["method"]: r for r in summary
                    if (r["target"], r["eps"], r["tier"]) == (target, eps, tier)}
            images = max(int(r["images"]) for r in rows.values())
            cells = [target, eps, tier, str(images)]
            for m in methods:
                r = rows.get(m)
                cells += [format_rate(r, k5, "n/a"), format_rate(r, k1, "n/a")] if r else ["", ""]
            cells += [cell(target, eps, tier) for _, cell in extras]
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.fit_table()
        self._plot(summary, k1)

    def fit_table(self, figure_min: int = 160) -> None:
        """The table as tall as its rows (every tier at 1024x768), the figures below keep the
        rest, at least figure_min; the user moves the line between them."""
        sizes = self.results.sizes()
        total = sum(sizes)
        if not total or not self.table.rowCount():
            return
        t = self.table
        need = (t.horizontalHeader().sizeHint().height() + t.verticalHeader().length()
                + 2 * t.frameWidth() + 2)
        if t.horizontalHeader().length() > t.viewport().width():
            need += t.horizontalScrollBar().sizeHint().height()
        height = max(min(need, total - figure_min), total // 3)
        self.results.setSizes([height, total - height])

    def _extra_columns(self, truth: bool) -> list[tuple[str, object]]:
        """Beside the white-box error: each transfer model's error and each transformation's
        destruction rate, per method, as `advgui-cli summary --markdown` shows them (without
        true labels, counted against the clean prediction)."""
        from advgui.core.analysis.beside_table import read_extras  # noqa: PLC0415
        from advgui.core.analysis.extras_schema import DESTROY, TRANSFER  # noqa: PLC0415

        extras = read_extras(Path(self.out.text()))
        columns = []
        for kind, rows in ((TRANSFER, extras.transfer), (DESTROY, extras.destroy)):
            for m, x in sorted({(r["method"], r[kind.by]) for r in rows}):
                table = {(r["target"], r["eps"], r["tier"]): r for r in rows
                         if (r["method"], r[kind.by]) == (m, x)}

                def cell(target, eps, tier, table=table, kind=kind):
                    r = table.get((target, eps, tier))
                    return "" if r is None else kind.rate(r, truth)
                columns.append((f"{m} {kind.heading(x, truth)}", cell))
        return columns

    def _plot(self, summary: list[dict], key: str) -> None:
        self.plot.clear()
        tiers = [t.value for t in Tier]
        self.plot.getAxis("bottom").setTicks([list(enumerate(tiers))])
        self.plot.setYRange(0, 1.05)
        self.plot.setXRange(-0.3, len(tiers) - 0.7)
        self.plot.getAxis("left").setLabel(
            "top-1 error " + ("vs truth" if "truth" in key else "vs clean prediction"))
        legend = self.plot.addLegend(offset=(-10, -10), labelTextSize="8pt", colCount=2)
        groups = sorted({(r["method"], r["target"], r["eps"]) for r in summary},
                        key=lambda g: (g[0], g[1], float(g[2])))  # ε 4 before ε 16
        eps_order = sorted({g[2] for g in groups}, key=float)
        width = min(DODGE, 0.5 / max(len(groups), 1))
        for g, (method, target, eps) in enumerate(groups):
            shift = (g - (len(groups) - 1) / 2) * width
            xs, ys, lo, hi = [], [], [], []
            for x, tier in enumerate(tiers):
                row = next((r for r in summary if (r["method"], r["target"], r["eps"], r["tier"])
                            == (method, target, eps, tier)), None)
                if row is not None and not np.isnan(float(row[key])):
                    xs.append(x + shift)
                    ys.append(float(row[key]))
                    lo.append(float(row[key + "_lo"]))
                    hi.append(float(row[key + "_hi"]))
            colour = palette.method_colour(method)
            style = pg.mkPen(colour, width=2, style=PEN_STYLES[palette.target_line(target)])
            symbol = palette.PYQTGRAPH_SYMBOLS[palette.series_shape(
                target, eps_order.index(eps), len(eps_order))]
            if xs:  # the Wilson interval the table shows, as a bar
                y = np.asarray(ys)
                self.plot.addItem(pg.ErrorBarItem(x=np.asarray(xs), y=y, top=np.asarray(hi) - y,
                                                  bottom=y - np.asarray(lo), beam=0.04,
                                                  pen=pg.mkPen(colour, width=1)))
            self.plot.plot(xs, ys, pen=style, symbol=symbol, symbolBrush=colour, symbolSize=9,
                           name=f"{method} {target} ε {eps}")
        del legend
        # The study folder's error_by_tier.png is drawn by the study's reports (core), so the
        # window and advgui-cli write the same figure; this plot is the live view of it.

