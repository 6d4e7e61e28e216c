"""Drive the real widgets: open, classify, select, attack, cancel, save, settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from advgui.core.tiers import Tier
from tests.helpers.window import open_folder, settled, until_cancelled


def test_open_folder_classifies_and_badges(make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    assert w.images.rowCount() == 6
    broken = w.verdicts[str(image_folder / "broken.jpg")]
    assert broken.error and not broken.top and broken.confidence < 0
    counts = w.images.tier_counts()
    assert sum(counts[t.value] for t in Tier) == 5 and counts["unreadable"] == 1
    assert "Folder" in w.tiers.counts.text()
    w.browser.filter.setCurrentIndex(1)  # high only
    assert w.browser.proxy.rowCount() == counts["high"]
    # selecting a classified image shows its clean top-5 before any attack
    path = str(image_folder / "n00000001_sample1.png")
    w.select_image(path)
    heights = w.charts.clean_bars.opts["height"]
    assert len(heights) == 5 and np.isclose(max(heights), w.verdicts[path].confidence)
    assert len(w.charts.adv_bars.opts["height"]) == 0


def test_fast_and_iterative_attacks_update_charts(make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000001_sample1.png"))
    steps = []
    w.engine.attackStep.connect(lambda s: steps.append(s.step))
    w.attack_panel.method.setCurrentIndex(w.attack_panel.method.findData("fast"))
    w.attack_panel.eps.setValue(10)
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        qtbot.mouseClick(w.attack_panel.run, Qt.MouseButton.LeftButton)
    settled(w, qtbot)
    assert steps == [1]
    fast = w.outcome
    assert np.abs(fast.adversarial_pixels.astype(int) - fast.clean_pixels.astype(int)).max() <= 10
    steps.clear()
    w.attack_panel.method.setCurrentIndex(w.attack_panel.method.findData("iterative"))
    w.attack_panel.target.setCurrentIndex(w.attack_panel.target.findData("inverse"))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=30_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    assert steps == list(range(1, 13))  # Kurakin: min(10 + 4, 12.5) = 12
    assert len(w.charts.clean_curve.getData()[0]) == 13 == len(w.state.attack.steps) + 1
    assert w.attack_panel.run.isEnabled() and not w.attack_panel.cancel.isEnabled()
    assert "L∞" in w.inspect.perturbation.title.text()


def _start_long_attack(window, qtbot, folder, after_steps: int) -> list[int]:
    """Open the folder and start a 5,000-step attack; return once a few steps arrived."""
    open_folder(window, qtbot, folder)
    window.select_image(str(folder / "n00000000_sample0.png"))
    window.attack_panel.kurakin.setChecked(False)
    window.attack_panel.steps.setValue(5000)
    steps: list[int] = []
    window.engine.attackStep.connect(lambda s: steps.append(s.step))
    window.attack_panel.run.click()
    qtbot.waitUntil(lambda: len(steps) >= after_steps, timeout=30_000)
    return steps


def test_cancel_mid_attack(make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    steps = _start_long_attack(w, qtbot, image_folder, 3)
    until_cancelled(w, qtbot, w.attack_panel.cancel.click)
    settled(w, qtbot)
    assert len(steps) < 5000
    assert w.attack_panel.run.isEnabled()


def test_close_during_attack_joins_threads(make_window, tiny_model, image_folder, qtbot) -> None:
    w = make_window(str(tiny_model))
    _start_long_attack(w, qtbot, image_folder, 2)
    w.close()
    assert not w.engine.running and not w.thumbs.running


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


def test_unloadable_model_shows_message(qtbot, settings, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from advgui.ui.main_window import MainWindow

    bad = tmp_path / "bad.onnx"
    bad.write_text("not a model")
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: shown.append(a[2]))
    w = MainWindow(str(bad), "cpu", settings=settings)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    assert "not an ONNX model" in shown[0]
    w.close()


@pytest.mark.slow
def test_real_inception_attack_once(make_window, qtbot, tmp_path) -> None:
    from advgui.zoo.sources import Shared, default_shared

    shared = Shared(default_shared())
    if not shared.root.exists():
        pytest.skip("../shared not present")
    w = make_window("inception_v3")
    image = shared.samples()[0]
    w.open_paths([str(image)])
    qtbot.waitUntil(lambda: len(w.verdicts) == 1, timeout=60_000)
    w.attack_panel.method.setCurrentIndex(w.attack_panel.method.findData("fast"))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=120_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    assert w.outcome.adversarial_probabilities.shape == (1000,)


def test_switching_model_reclassifies(make_window, tiny_model, image_folder, qtbot, tmp_path) -> None:
    import onnx

    from tests.helpers.models import tiny_classifier_model

    other = tmp_path / "other.onnx"
    onnx.save(tiny_classifier_model(seed=7), other)
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    before = {p: v.top1 for p, v in w.verdicts.items()}
    w.switch_model(str(other))
    qtbot.waitUntil(lambda: w.info.name == "other" and len(w.verdicts) == 6, timeout=30_000)
    assert w.info.name == "other"
    after = {p: v.top1 for p, v in w.verdicts.items()}
    assert before.keys() == after.keys()


def test_listing_a_folder_never_blocks_the_window(make_window, tiny_model, image_folder, qtbot,
                                                   monkeypatch, tmp_path) -> None:
    import threading

    from advgui.core.records.inputs import iter_image_files
    from advgui.ui.workers import folder_scan

    slow_drive = threading.Event()

    def walk(folder):  # a network drive: nothing arrives until released
        for path in iter_image_files(folder):
            slow_drive.wait(30)
            yield path

    monkeypatch.setattr(folder_scan, "iter_image_files", walk)
    w = make_window(str(tiny_model))
    other = tmp_path / "other"
    other.mkdir()
    Image.new("RGB", (40, 30)).save(other / "lonely.png")
    w.open_paths([str(other)])  # returns at once; superseded by the single file opened next
    w.open_paths([str(other / "lonely.png")])
    assert w.images.rowCount() == 1
    w.open_paths([str(other)])  # and this listing by the next open below
    w.open_paths([str(image_folder)])
    assert "Listing the images" in w.statusBar().full_message()
    assert w.images.rowCount() == 1  # what was open stays until the listing is done
    slow_drive.set()
    qtbot.waitUntil(lambda: len(w.verdicts) == 6, timeout=30_000)
    assert w.images.rowCount() == 6
    assert not any("lonely" in e.path for e in w.images.entries)


def test_switching_model_mid_attack_cancels_it(make_window, tiny_model, image_folder, qtbot,
                                               tmp_path) -> None:
    """The result would belong to the old model, and the engine would otherwise load the new
    one only after the attack's 5,000th step."""
    import onnx

    from tests.helpers.models import tiny_classifier_model

    other = tmp_path / "other.onnx"
    onnx.save(tiny_classifier_model(seed=7), other)
    w = make_window(str(tiny_model))
    steps = _start_long_attack(w, qtbot, image_folder, 2)
    until_cancelled(w, qtbot, lambda: w.switch_model(str(other)))
    qtbot.waitUntil(lambda: w.info.name == "other" and len(w.verdicts) == 6, timeout=30_000)
    assert w.info.name == "other" and len(steps) < 5000
    assert not w.attacking and w.attack_panel.run.isEnabled()


def test_attack_on_a_vanished_file_says_which_and_why(make_window, tiny_model, image_folder,
                                                      qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()))
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    path = image_folder / "n00000001_sample1.png"
    w.select_image(str(path))
    path.unlink()  # deleted by another program after it was classified
    with qtbot.waitSignal(w.engine.attackFailed, timeout=10_000):
        w.attack_panel.run.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == ["n00000001_sample1.png: file not found (broken link?)"]
    assert w.statusBar().full_message().startswith("Attack failed: n00000001_sample1.png")
    assert not w.attacking and w.attack_panel.run.isEnabled()


def test_opening_a_path_that_does_not_exist_says_so(make_window, tiny_model, tmp_path) -> None:
    w = make_window(str(tiny_model))
    w.open_paths([str(tmp_path / "no-such-folder")])
    assert w.statusBar().full_message() == f"Not found: {tmp_path / 'no-such-folder'}"
    assert w.images.rowCount() == 0


def test_fast_steps_do_not_queue_up_behind_the_charts(make_window, tiny_model, image_folder,
                                                      qtbot) -> None:
    """The tiny model makes a step in under a millisecond, faster than a redraw (about 3 ms):
    the window must draw the latest step, not every step in turn."""
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.select_image(str(image_folder / "n00000000_sample0.png"))
    w.attack_panel.kurakin.setChecked(False)
    w.attack_panel.steps.setValue(2000)
    shown = []
    w.stepShown.connect(lambda step, _t: shown.append(step.step))
    with qtbot.waitSignal(w.engine.attackFinished, timeout=60_000):
        w.attack_panel.run.click()
    settled(w, qtbot)
    assert len(w.charts.clean_curve.getData()[0]) == 2001  # every step is in the trajectory
    assert 0 < len(shown) < 500 and shown == sorted(shown)


def test_the_browser_never_lists_a_study_folders_results(make_window, tiny_model, image_folder,
                                                         qtbot) -> None:
    study = image_folder / "advgui-study"
    (study / "adversarial").mkdir(parents=True)
    Image.new("RGB", (20, 20)).save(study / "adversarial" / "n00000001_x__fast_inverse_eps8.png")
    (study / ".advgui-study.lock").write_text("")
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)  # waits for the 6 photos; the study's PNG is not among them
    assert w.images.rowCount() == 6


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


def test_a_path_the_system_cannot_open_is_shown_with_a_copy_button(
        make_window, tiny_model, qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtGui import QDesktopServices, QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    from advgui.ui.dialogs import about

    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: False)  # no desktop launcher
    w = make_window(str(tiny_model))
    log = tmp_path / "advgui.log"
    log.write_text("a log line\n")
    monkeypatch.setattr(about, "log_file", lambda: log)
    w.open_log()  # Help > Open Log File
    box = w.findChild(QMessageBox, "open-path-box")
    qtbot.waitUntil(box.isVisible)
    assert box.informativeText() == str(log) and "no program" in box.text()
    copy = next(b for b in box.buttons() if b.text() == "Copy path")
    copy.click()
    assert QGuiApplication.clipboard().text() == str(log)


def test_a_poster_sized_png_is_refused_in_plain_words_in_the_window(
        make_window, tiny_model, tmp_path, qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.core.model.test_images import huge_png

    folder = tmp_path / "posters"
    folder.mkdir()
    huge_png(folder / "poster.png", 20_000, 20_000)
    Image.new("RGB", (40, 30), "blue").save(folder / "small.png")
    w = make_window(str(tiny_model))
    w.open_paths([str(folder)])
    qtbot.waitUntil(lambda: len(w.verdicts) == 2, timeout=30_000)
    w.select_image(str(folder / "poster.png"))
    said = w.tiers.verdict.text()
    assert "image too large: 400 megapixels" in said and "bomb" not in said
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    w.attack_panel.run.click()
    assert warned and warned[0].startswith("image too large") and "attack" not in warned[0]


def test_a_long_unicode_name_stays_on_one_line_above_the_verdict(make_window, tiny_model,
                                                                  tmp_path, qtbot) -> None:
    from PySide6.QtGui import QFont, QFontMetrics

    folder = tmp_path / "names"
    folder.mkdir()
    name = "Фотография_городского_пейзажа_в_Санкт-Петербурге_日本語の長いファイル名_2024-06-01.png"
    Image.new("RGB", (40, 30), "green").save(folder / name)
    w = make_window(str(tiny_model))
    w.show()
    qtbot.waitExposed(w)
    w.open_paths([str(folder)])
    qtbot.waitUntil(lambda: len(w.verdicts) == 1, timeout=30_000)
    label = w.tiers.verdict
    assert "…" in label.text() and label.toolTip() == name and "confidence" in label.text()
    bold = QFont(label.font())
    bold.setBold(True)
    shown = label.text().split("<b>")[1].split("</b>")[0]
    assert QFontMetrics(bold).horizontalAdvance(shown) < label.width()  # the name: one line
    assert shown.startswith("Фото") and shown.endswith(".png")
