"""Render resources/icons/advgui.svg to the PNG sizes the desktop and the bundle use.

    QT_QPA_PLATFORM=offscreen python resources/render_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
HERE = Path(__file__).resolve().parent / "icons"


def main() -> None:
    app = QGuiApplication([])
    renderer = QSvgRenderer(str(HERE / "advgui.svg"))
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(HERE / f"advgui-{size}.png"))
    del app


if __name__ == "__main__":
    main()
