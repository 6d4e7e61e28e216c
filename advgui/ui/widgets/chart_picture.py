"""The charts as one picture for a slide or a paper (File > Save Charts as PNG): the photo pair
with its headline, both plots at `scale` times their size on screen and the trajectory's key,
under a caption naming the image, the model and the attack (a figure that says what it shows)."""

from __future__ import annotations

import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QTextDocument


def key_picture(html: str, width: int, point_size: float) -> QImage:
    """The trajectory's key drawn anew at the saved size (a grab of it was cut)."""
    doc = QTextDocument()
    font = QFont()
    font.setPointSizeF(point_size)
    doc.setDefaultFont(font)
    doc.setHtml(html)
    doc.setTextWidth(width - 16)
    image = QImage(width, int(doc.size().height()) + 8, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.translate(8, 4)
    doc.drawContents(painter)
    painter.end()
    return image


def charts_picture(charts, caption: str, scale: float = 2.0) -> QImage:
    """`charts`: a ProbabilityCharts; its legend line goes under the caption."""
    parts = []
    for plot in (charts.bars, charts.trajectory):
        exporter = pg.exporters.ImageExporter(plot.plotItem)
        exporter.parameters()["width"] = int(plot.width() * scale)
        parts.append(exporter.export(toBytes=True))
    width = max(p.width() for p in parts)
    side = charts.side
    if side is not None and hasattr(side, "picture"):
        parts.insert(0, side.picture(width))
    if charts.key.text():
        parts.append(key_picture(charts.key.text(), width, 11 * scale))
    font = QFont()
    font.setPointSizeF(11 * scale)
    legend = charts.legend.text()
    caption = f"{caption}\n{legend}" if legend else caption
    text_rect = QFontMetrics(font).boundingRect(
        QRect(0, 0, width - int(16 * scale), 100_000), int(Qt.TextFlag.TextWordWrap), caption)
    band = text_rect.height() + int(12 * scale)
    image = QImage(width, band + sum(p.height() for p in parts), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(QRect(int(8 * scale), int(4 * scale), width - int(16 * scale),
                           band - int(8 * scale)), int(Qt.TextFlag.TextWordWrap), caption)
    y = band
    for p in parts:
        painter.drawImage(0, y, p)
        y += p.height()
    painter.end()
    return image
