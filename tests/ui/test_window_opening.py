"""Folders, files and models opened in the window are classified, or refused in plain words."""

from __future__ import annotations

import numpy as np
from PIL import Image

from advgui.core.tiers import Tier
from tests.helpers.window import open_folder


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


def test_opening_a_path_that_does_not_exist_says_so(make_window, tiny_model, tmp_path) -> None:
    w = make_window(str(tiny_model))
    w.open_paths([str(tmp_path / "no-such-folder")])
    assert w.statusBar().full_message() == f"Not found: {tmp_path / 'no-such-folder'}"
    assert w.images.rowCount() == 0


def test_the_browser_never_lists_a_study_folders_results(make_window, tiny_model, image_folder,
                                                         qtbot) -> None:
    study = image_folder / "advgui-study"
    (study / "adversarial").mkdir(parents=True)
    Image.new("RGB", (20, 20)).save(study / "adversarial" / "n00000001_x__fast_inverse_eps8.png")
    (study / ".advgui-study.lock").write_text("")
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)  # waits for the 6 photos; the study's PNG is not among them
    assert w.images.rowCount() == 6


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
