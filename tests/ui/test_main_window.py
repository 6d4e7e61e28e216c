"""The window saves lossless PNGs outside the browsed folder and keeps its settings and dialogs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.helpers.window import open_folder, settled


def test_settings_round_trip(make_window, tiny_model, image_folder, settings, qtbot) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.attack_panel.eps.setValue(12)
    w.attack_panel.target.setCurrentIndex(w.attack_panel.target.findData("inverse"))
    w.close()
    again = make_window(str(tiny_model), settings)
    assert again.attack_panel.eps.value() == 12
    assert again.attack_panel.target.currentData() == "inverse"
    assert settings.value("browser/last_folder") == str(image_folder)


def test_save_adversarial_png_is_lossless(make_window, tiny_model, image_folder, qtbot,
                                          tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000002_sample2.png"))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    target = tmp_path / "adv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PNG"))
    w.save_adversarial()
    saved = np.asarray(Image.open(str(target) + ".png"))
    np.testing.assert_array_equal(saved, w.outcome.adversarial_pixels)
    # a save that fails (disk full) warns, and the PNG saved before is left as it was
    import errno

    from PySide6.QtWidgets import QMessageBox

    from advgui.core.records.safe_write import atomic_write_file
    from advgui.ui import export

    def disk_fills_up(fh):
        fh.write(b"half a png")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export, "atomic_write_file",
                        lambda path, _write: atomic_write_file(path, disk_fills_up))
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    w.save_adversarial()
    assert warned and "disk is full" in warned[0]
    np.testing.assert_array_equal(np.asarray(Image.open(str(target) + ".png")), saved)
    assert not list(tmp_path.glob(".*.tmp"))


def test_only_the_main_window_sets_its_attributes() -> None:
    # The helpers beside MainWindow read it; what it holds (its batch dialog too) it sets itself.
    import re
    from pathlib import Path

    import advgui.ui

    root = Path(advgui.ui.__file__).parent
    setting = re.compile(r"\bwindow\.[a-z_]+ = |setattr\(")
    found = [f"{p.relative_to(root)}:{n}" for p in sorted(root.rglob("*.py"))
             if p.name != "main_window.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if setting.search(line)]
    assert found == []


def test_the_window_keeps_the_batch_dialog_it_opens(make_window, tiny_model, image_folder,
                                                    qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.open_batch_run()
    dialog = w.batch_dialog
    assert dialog is not None and dialog.isVisible() and dialog.parent() is w
    w.tiers.medium.setValue(50.0)  # refused (thresholds out of order): the window keeps its own
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: None)
    w.open_batch_run()
    assert w.batch_dialog is dialog
    dialog.close()


def test_saves_are_offered_outside_the_browsed_folder_and_remember_the_last(
        make_window, tiny_model, image_folder, qtbot, tmp_path, monkeypatch) -> None:
    """Issue 24: a PNG saved into the images folder became an input at the next launch."""
    from PySide6.QtWidgets import QFileDialog

    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000002_sample2.png"))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    offered: list[str] = []
    chosen = tmp_path / "slides" / "adv.png"
    chosen.parent.mkdir()

    def dialog(_parent, _title, start, _filter):
        offered.append(start)
        return str(chosen), "PNG"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    w.save_adversarial()
    first = Path(offered[0])
    assert first.name == "n00000002_sample2-adversarial.png"
    assert image_folder.resolve() not in first.resolve().parents
    assert first.parent.is_dir() and first.parent.name == "advgui"
    assert chosen.exists() and str(chosen) in w.statusBar().full_message()
    w.save_charts()  # the next save starts where the last one went
    assert Path(offered[1]).parent == chosen.parent
    chosen = image_folder / "adv.png"  # saved into the browsed folder on purpose: warned
    w.save_adversarial()
    assert "listed as a photo" in w.statusBar().full_message()
    w.save_charts()  # and that folder is never offered
    assert Path(offered[3]).parent == first.parent
