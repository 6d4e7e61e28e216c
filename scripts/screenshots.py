"""Take the README's screenshots of the real window (offscreen), driving it like a user.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py FOLDER OUTDIR [IMAGE_NAME]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(cond, timeout_ms: int = 120_000, step: int = 100) -> bool:
    waited = 0
    while not cond() and waited < timeout_ms:
        wait(step)
        waited += step
    return cond()


def main() -> int:
    folder, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("advgui-screenshots")
    from advgui.ui.theme import use_palette_for_charts
    use_palette_for_charts(app)
    from advgui.ui.main_window import MainWindow

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    w.resize(1500, 900)
    w.show()
    assert wait_for(lambda: w.info is not None), "model did not load"
    w.open_paths([str(folder)])
    wait_for(lambda: len(w.verdicts) >= min(24, len(w.images.entries)))
    wait(1500)
    if len(sys.argv) > 3:
        row = next(i for i, e in enumerate(w.images.entries) if Path(e.path).name == sys.argv[3])
        w.browser.view.setCurrentIndex(w.browser.proxy.mapFromSource(w.images.index(row)))
    wait(300)
    w.grab().save(str(out / "window-browser.png"))
    w.attack_panel.eps.setValue(8)
    steps = []
    w.engine.attackStep.connect(lambda s: steps.append(s.step))
    w.attack_panel.run.click()
    wait_for(lambda: len(steps) >= 3)
    wait(50)
    w.grab().save(str(out / "window-attack-running.png"))
    wait_for(lambda: not w.attacking)
    wait(300)
    w.grab().save(str(out / "window-attack-done.png"))
    w.tabs.setCurrentIndex(1)
    wait(300)
    w.grab().save(str(out / "window-inspect.png"))
    from advgui.ui.dialogs.batch_dialog import BatchDialog

    dialog = BatchDialog(w.engine.classifier, str(folder), w.tiers.thresholds(), w)
    dialog.out.setText(tempfile.mkdtemp())
    dialog.per_tier.setValue(3)
    dialog.show()
    done = []
    dialog.studyFinished.connect(done.append)
    dialog.start.click()
    wait(4000)
    dialog.grab().save(str(out / "batch-running.png"))
    wait_for(lambda: bool(done), timeout_ms=900_000)
    wait(500)
    dialog.grab().save(str(out / "batch-done.png"))
    dialog.close()
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
