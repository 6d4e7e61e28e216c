"""Entry point of the desktop app: `advgui [PATH ...] [--model M] [--device D]`."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from advgui import __version__
from advgui.ui.theme import use_palette_for_charts

log = logging.getLogger("advgui")


def _log_file() -> Path:
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "advgui.log"


def _qt_messages(kind: QtMsgType, _context, message: str) -> None:
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING}.get(kind, logging.ERROR)
    logging.getLogger("qt").log(level, message)


def _excepthook(kind, value, tb) -> None:
    log.error("unhandled exception", exc_info=(kind, value, tb))
    if QApplication.instance() is not None:
        box = QMessageBox(QMessageBox.Icon.Critical, "advgui: unexpected error",
                          f"{kind.__name__}: {value}\n\nThe details are in {_log_file()}.")
        box.setDetailedText("".join(traceback.format_exception(kind, value, tb)))
        box.exec()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="advgui", description="advgui desktop window")
    ap.add_argument("paths", nargs="*", help="images or folders to open")
    ap.add_argument("--model", default="", help="shipped model name or .onnx path")
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args, qt_args = ap.parse_known_args(argv if argv is not None else sys.argv[1:])
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("advgui")
    app.setOrganizationName("advgui")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("advgui")
    icon = Path(__file__).resolve().parents[2] / "resources" / "icons" / "advgui.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    logging.basicConfig(filename=_log_file(), level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    qInstallMessageHandler(_qt_messages)
    use_palette_for_charts(app)
    sys.excepthook = _excepthook
    from advgui.ui.main_window import MainWindow  # noqa: PLC0415 (after QApplication exists)

    window = MainWindow(args.model, args.device)
    window.show()
    if args.paths:
        window.open_paths(args.paths)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
