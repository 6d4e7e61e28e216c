"""Entry point of the desktop app: `advgui [PATH ...] [--model M] [--device D]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from advgui import __version__
from advgui.ui.theme import use_palette_for_charts
from advgui.ui.workers import collector
from advgui.ui.workers.job import jobs_running

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


def _display_available() -> bool:
    if sys.platform != "linux":
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return True  # offscreen, minimal, vnc, eglfs...: no desktop display needed
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


XCB_LIBRARIES = ("xcb-cursor", "xcb-icccm", "xcb-keysyms")
XCB_HINT = ("Qt's X11 plugin needs the xcb libraries: on Debian/Ubuntu `sudo apt install "
            "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1`; on Fedora `sudo dnf install "
            "xcb-util-cursor xcb-util-wm xcb-util-keysyms`.")


def missing_xcb_libraries() -> list[str]:
    """The X11 libraries Qt's xcb plugin loads that this system lacks (Linux on X11 only): Qt
    aborts without them with a message that names none of them."""
    import ctypes.util  # noqa: PLC0415

    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform != "linux" or (platform and not platform.startswith("xcb")) or \
            (not platform and os.environ.get("WAYLAND_DISPLAY")):
        return []
    return [name for name in XCB_LIBRARIES if ctypes.util.find_library(name) is None]


def self_check(model: str, device: str) -> int:
    """Headless start-up check for bundles and installs: no display needed."""
    import time

    import numpy as np

    from advgui.core.model.classifier import ModelError
    from advgui.core.model.registry import load_classifier

    started = time.perf_counter()
    try:
        clf = load_classifier(model or None, device=device)
    except (ModelError, RuntimeError, OSError) as exc:
        # RuntimeError: the device asked for cannot start (--device cuda without a usable GPU)
        print(f"self-check failed: {exc}", file=sys.stderr)
        return 1
    size = clf.preprocessing.size
    ramp = np.linspace(0, 255, size, dtype=np.float32)
    pixels = np.stack([np.add.outer(ramp, ramp) / 2, np.tile(ramp, (size, 1)),
                       np.tile(ramp[:, None], (1, size))], axis=-1).astype(np.uint8)
    probs = clf.probabilities(clf.preprocessing.to_model(pixels[None]))[0]
    top = int(probs.argmax())
    print(f"advgui {__version__} self-check ok: {clf.describe()}, {clf.num_classes} classes, "
          f"test image -> {clf.classes.names[top]} ({100 * probs[top]:.1f} %), "
          f"{time.perf_counter() - started:.1f} s")
    return 0


def _device(text: str) -> str:
    """--device, checked as advgui-cli checks it (one rule, in the model's session module)."""
    from advgui.core.model.session import check_device  # noqa: PLC0415 (onnxruntime: not for --help)

    try:
        return check_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="advgui", description="advgui desktop window")
    ap.add_argument("paths", nargs="*", help="images or folders to open")
    ap.add_argument("--model", default="", help="shipped model name or .onnx path")
    ap.add_argument("--device", type=_device, default="auto",
                    help="auto, cpu, cuda or cuda:N (the N-th GPU of a multi-GPU node), as advgui-cli")
    ap.add_argument("--self-check", action="store_true",
                    help="load the model, classify one image, print the result and exit")
    args, qt_args = ap.parse_known_args(argv if argv is not None else sys.argv[1:])
    if args.self_check:
        return self_check(args.model, args.device)
    if not _display_available():
        print("advgui: no display found (DISPLAY / WAYLAND_DISPLAY are unset). Start it from a "
              "desktop session, set QT_QPA_PLATFORM=offscreen for a headless run, or use "
              "advgui-cli for the same study without a window. " + XCB_HINT, file=sys.stderr)
        return 2
    missing = missing_xcb_libraries()
    if missing:
        print(f"advgui: cannot open a window: lib{', lib'.join(missing)} not found. {XCB_HINT}",
              file=sys.stderr)
        return 2
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("advgui")
    app.setOrganizationName("advgui")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("advgui")
    collector.install(jobs_running)  # collections on this thread only, between events
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
    if os.environ.get("ADVGUI_STARTUP_PROBE"):
        _probe_startup(app, window)
    if args.paths:
        window.open_paths(args.paths)
    else:  # the last folder, or on a first launch the bundled sample photos
        last = str(window.settings.value("browser/last_folder", "") or "")
        window.open_paths([last]) if last and Path(last).is_dir() else window.open_samples()
    return app.exec()


def _probe_startup(app: QApplication, window) -> None:
    """benchmarks/startup.py: print when the window is up and the first image classified."""
    from PySide6.QtCore import QTimer

    t0 = float(os.environ["ADVGUI_STARTUP_PROBE"])
    print(f"window_shown {time.time() - t0:.3f}", flush=True)
    poll = QTimer(window)  # lives on the GUI thread, so close() runs there too

    def check() -> None:
        if window.verdicts:
            print(f"first_classification {time.time() - t0:.3f}", flush=True)
            poll.stop()
            window.close()

    poll.timeout.connect(check)
    poll.start(5)


if __name__ == "__main__":  # python -m advgui.ui.app, as python -m advgui
    raise SystemExit(main())
