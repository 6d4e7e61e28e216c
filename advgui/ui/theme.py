"""Charts follow the desktop's light or dark palette instead of pyqtgraph's black default."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication


def use_palette_for_charts(app: QApplication) -> None:
    palette = app.palette()
    pg.setConfigOptions(antialias=True,
                        background=palette.color(QPalette.ColorRole.Base),
                        foreground=palette.color(QPalette.ColorRole.Text))
