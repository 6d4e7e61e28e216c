"""Issue 24: File › Open Study shows any study folder read only, says what it cannot show, and a
study that finished in the background is offered and kept for Ctrl+B."""

from __future__ import annotations

import csv
import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

from advgui.core.model.registry import load_classifier
from advgui.core.tiers import TierThresholds
from advgui.ui.dialogs.batch_dialog import BatchDialog
from advgui.ui.dialogs.study_viewer import StudyViewer, recent_studies
from tests.helpers.window import open_folder


def _snapshot(folder):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture
def finished_study(qtbot, tiny_model, image_folder, tmp_path):
    """A study of the tiny model on the image folder, run by the batch dialog (two eps)."""
    dialog = BatchDialog(load_classifier(str(tiny_model), device="cpu"), str(image_folder),
                         TierThresholds(0.2, 0.12))
    qtbot.addWidget(dialog)
    out = tmp_path / "study"
    dialog.out.setText(str(out))
    dialog.per_tier.setValue(0)
    dialog.eps.setText("4 8")
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
    dialog.close()
    return out


def _viewer(qtbot, folder, names=None) -> StudyViewer:
    viewer = StudyViewer(folder, names)
    qtbot.addWidget(viewer)
    viewer.resize(1024, 740)
    viewer.show()
    return viewer


def test_the_viewer_shows_a_study_and_changes_nothing(qtbot, finished_study) -> None:
    before = _snapshot(finished_study)
    viewer = _viewer(qtbot, finished_study, [f"thing {i}" for i in range(10)])
    rows = list(csv.DictReader(open(finished_study / "images.csv", newline="")))
    summary = list(csv.DictReader(open(finished_study / "summary.csv", newline="")))
    # the seed's table: one line per target, eps and tier, with the Wilson interval in the cells
    groups = {(r["target"], r["eps"], r["tier"]) for r in summary}
    assert viewer.table.rowCount() == len(groups)
    cells = [viewer.table.item(i, j).text() for i in range(viewer.table.rowCount())
             for j in range(4, viewer.table.columnCount())]
    assert any("[" in c for c in cells)
    for name in ("error_by_tier.png", "fragility.png", "error_vs_eps.png"):
        assert not viewer.figure_labels[name].pixmap().isNull(), name
    assert viewer.rows.rowCount() == len(rows)
    # sortable, by number: the clean confidence column in ascending order after a click
    column = [h for h, _, _ in __import__("advgui.ui.dialogs.study_viewer", fromlist=["x"])
              .ROW_COLUMNS].index("clean %")
    viewer.tabs.setCurrentIndex(1)
    viewer.rows.horizontalHeader().sectionClicked.emit(column)
    viewer.rows.sortItems(column, Qt.SortOrder.AscendingOrder)
    shown = [float(viewer.rows.item(i, column).text()) for i in range(viewer.rows.rowCount())]
    assert shown == sorted(shown)
    # at 1024x768 the columns that tell a photo's rows apart (method, target, ε) are in view
    qtbot.waitUntil(lambda: viewer.rows.visualItemRect(viewer.rows.item(0, 3)).right()
                    <= viewer.rows.viewport().width(), timeout=5_000)
    # a row: its photo and adversarial, the top-5 as recorded, the attack's settings
    qtbot.mouseClick(viewer.rows.viewport(), Qt.MouseButton.LeftButton,
                     pos=viewer.rows.visualItemRect(viewer.rows.item(2, 0)).center())
    chosen = next(r for r in rows if r["file"] == viewer.rows.item(2, 0).text()
                  and r["method"] == viewer.rows.item(2, 1).text()
                  and r["target"] == viewer.rows.item(2, 2).text()
                  and float(r["eps"]) == float(viewer.rows.item(2, 3).text()))
    assert viewer.headline.text().startswith(f"clean: {chosen['clean_top1_name']}")
    assert f"adversarial: {chosen['adv_top1_name']}" in viewer.headline.text()
    assert not viewer.clean_photo.pixmap().isNull()
    assert not viewer.adversarial_photo.pixmap().isNull()
    assert "thing" in viewer.adversarial_top5.text()  # names, not class numbers
    settings = {viewer.settings.itemAt(i, viewer.settings.ItemRole.LabelRole).widget().text():
                viewer.settings.itemAt(i, viewer.settings.ItemRole.FieldRole).widget().text()
                for i in range(viewer.settings.rowCount())}
    assert settings["method"] == chosen["method"] and chosen["eps"] in settings["ε"]
    viewer.close()
    assert _snapshot(finished_study) == before  # read only


def test_the_viewer_says_what_it_cannot_show(qtbot, finished_study, image_folder, tmp_path) -> None:
    viewer = _viewer(qtbot, image_folder)  # not a study
    assert "not an advgui study folder" in viewer.status.text()
    assert not viewer.tabs.isEnabled()
    viewer.close()
    # a hand-edited row: left out, said so, the rest shown
    path = finished_study / "images.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(",ok,", ",okay,", 1)
    path.write_text("".join(lines))
    viewer = _viewer(qtbot, finished_study)
    assert "left out 1 broken" in viewer.status.text()
    assert viewer.rows.rowCount() == len(lines) - 2
    viewer.close()
    # a study whose run was killed before it finished (the manifest says no "finished");
    # read again once the run has gone on
    manifest = (finished_study / "manifest.json")
    finished = manifest.read_text()
    manifest.write_text(finished.replace('"finished"', '"killed_at"'))
    viewer = _viewer(qtbot, finished_study)
    assert "has not finished" in viewer.status.text()
    manifest.write_text(finished)
    qtbot.mouseClick(viewer.reload, Qt.MouseButton.LeftButton)
    assert "has not finished" not in viewer.status.text()
    viewer.close()
    # a PNG deleted by hand: the row says so in place of the picture
    row = next(csv.DictReader(open(path, newline="")))
    os.remove(finished_study / row["adversarial_png"])
    viewer = _viewer(qtbot, finished_study)
    viewer.show_row(row)
    assert "missing from the folder" in viewer.adversarial_photo.text()
    viewer.close()
    # a manifest edited into something that is not JSON: said, the rows still shown
    manifest.write_text("{ not json")
    viewer = _viewer(qtbot, finished_study)
    assert "manifest.json is missing or unreadable" in viewer.status.text()
    assert viewer.rows.rowCount() > 0
    viewer.close()
    # a header no release wrote
    path.write_text("name,score\nx,1\n")
    viewer = _viewer(qtbot, finished_study)
    assert "images.csv cannot be read" in viewer.status.text()
    viewer.close()


def test_open_study_from_the_menu_and_the_recent_list(make_window, tiny_model, finished_study,
                                                      qtbot, monkeypatch) -> None:
    w = make_window(str(tiny_model))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(finished_study))
    w.menu_actions["open_study"].trigger()
    viewers = [v for v in w.findChildren(StudyViewer) if v.isVisible()]
    assert len(viewers) == 1 and viewers[0].rows.rowCount() > 0
    assert "thing" in viewers[0].record.rows[0]["clean_top1_name"]
    viewers[0].close()
    assert recent_studies(w.settings) == [str(finished_study)]
    menu = w.menu_actions["recent_studies"].menu()
    menu.aboutToShow.emit()
    entry = next(a for a in menu.actions() if a.text() == str(finished_study))
    entry.trigger()
    assert any(v.isVisible() and v.out.text() == str(finished_study)
               for v in w.findChildren(StudyViewer))


def test_a_study_finished_in_the_background_is_offered_and_kept(make_window, tiny_model,
                                                                image_folder, tmp_path, qtbot,
                                                                monkeypatch) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.menu_actions["batch_run"].trigger()
    dialog = w.batch_dialog
    dialog.out.setText(str(tmp_path / "background"))
    dialog.per_tier.setValue(0)
    # the user closes the dialog mid-run and answers "Keep running"
    monkeypatch.setattr(QMessageBox, "exec", lambda box: 0)
    monkeypatch.setattr(QMessageBox, "clickedButton", lambda box: next(
        b for b in box.buttons() if b.text() == "Keep running"))
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
        dialog.close()
        assert not dialog.isVisible() and dialog.running
    offer = w.statusBar().findChild(QPushButton, "open_finished_study")
    assert offer is not None and offer.isVisibleTo(w)
    # at 1024x768 the message beside the offer is whole (it was "The batch stud…")
    w.resize(1024, 740)
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(200)  # the bar cuts its message once the layout has settled
    assert "Ctrl+B" in w.statusBar().currentMessage()
    assert w.statusBar().currentMessage() == w.statusBar().full_message()
    qtbot.mouseClick(offer, Qt.MouseButton.LeftButton)
    viewers = [v for v in w.findChildren(StudyViewer) if v.isVisible()]
    assert len(viewers) == 1 and viewers[0].out.text() == str(tmp_path / "background")
    assert viewers[0].rows.rowCount() == 5 * 2 * 2
    viewers[0].close()
    # Ctrl+B shows that run's dialog with its results, not a fresh "Ready." one
    w.menu_actions["batch_run"].trigger()
    assert w.batch_dialog is dialog and dialog.isVisible()
    assert "Finished" in dialog.status.text() and dialog.table.rowCount() > 0
    # a new run from that dialog: the old offer does not stay beside the new run's progress
    w.statusBar().findChild(QPushButton, "open_finished_study") or offer_again(w, dialog)
    dialog.out.setText(str(tmp_path / "another"))
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
        assert w.statusBar().findChild(QPushButton, "open_finished_study") is None, \
            "the last study's offer stayed beside the new run's progress"
    dialog.close()


def offer_again(w, dialog) -> None:
    """The offer as the background run left it (the test opened it: that took it away)."""
    from advgui.ui.dialogs.study_viewer import offer_finished_study
    dialog.hide()
    offer_finished_study(w, dialog, type("Outcome", (), {"cancelled": False, "rows": 1})())
    dialog.show()
    assert w.statusBar().findChild(QPushButton, "open_finished_study") is not None


def test_eps_to_flip_is_said_in_pixel_levels_as_the_table_says_it(qtbot, finished_study) -> None:
    """The detail showed the bare eps_to_flip_float ('0.078125') beside 'ε 8 pixel levels',
    while the table's column said 1: read as a [0,1] value and disagreeing with the table."""
    viewer = _viewer(qtbot, finished_study)
    viewer.tabs.setCurrentIndex(1)
    column = [h for h, _, _ in __import__("advgui.ui.dialogs.study_viewer", fromlist=["x"])
              .ROW_COLUMNS].index("ε to flip")
    row = next(i for i in range(viewer.rows.rowCount())
               if viewer.rows.item(i, 1).text() == "fast"
               and viewer.rows.item(i, column).text() not in ("", "-1", "inf"))
    viewer.rows.selectRow(row)
    settings = {viewer.settings.itemAt(i, viewer.settings.ItemRole.LabelRole).widget().text():
                viewer.settings.itemAt(i, viewer.settings.ItemRole.FieldRole).widget().text()
                for i in range(viewer.settings.rowCount())}
    levels = viewer.rows.item(row, column).text()
    assert settings["ε to flip"].startswith(f"{levels} pixel level"), settings["ε to flip"]
    viewer.close()


def test_a_missing_pngs_long_name_wraps_inside_its_place(qtbot, finished_study) -> None:
    """'adversarial/ILSVRC2012_val_00027513-72fe8f29__fast_least-likely_eps8.png is missing'
    has no space: it ran past both edges of the photo's place, cut at both ends."""
    path = finished_study / "images.csv"
    row = next(csv.DictReader(open(path, newline="")))
    long_name = "ILSVRC2012_val_00027513-72fe8f29__fast_least-likely_eps8.png"
    os.remove(finished_study / row["adversarial_png"])
    row["adversarial_png"] = "adversarial/" + long_name  # a real study's name, deleted
    viewer = _viewer(qtbot, finished_study)
    viewer.tabs.setCurrentIndex(1)
    viewer.show_row(row)
    label = viewer.adversarial_photo
    qtbot.waitUntil(lambda: label.width() > 0)
    metrics = QFontMetrics(label.font())
    import re
    chunks = [c for c in re.split(r"[\s\u200b]+", label.text()) if c]
    assert max(metrics.horizontalAdvance(c) for c in chunks) <= label.width(), label.text()
    viewer.close()


def test_the_top5_line_says_the_headlines_percentage(qtbot, finished_study) -> None:
    """The top-5 cell keeps 4 decimals: '17.6 %' under a headline's '17.7 %' (0.176529)."""
    rows = list(csv.DictReader(open(finished_study / "images.csv", newline="")))
    row = next(r for r in rows if r["status"] == "ok")
    first = row["adv_top5"].split(";")[0]
    row["adv_top1_probability"] = "0.176529"  # as a real study wrote it beside 0.1765
    row["adv_top5"] = row["adv_top5"].replace(first, first.split(":")[0] + ":0.1765", 1)
    viewer = _viewer(qtbot, finished_study)
    viewer.show_row(row)
    assert viewer.headline.text().endswith("17.7 %")
    assert viewer.adversarial_top5.text().split("<br>")[0].endswith("17.7 %")
    viewer.close()


def test_the_top5_names_classes_with_another_model_in_the_window(qtbot, finished_study) -> None:
    """With another model in the window (no class names passed) the top-5 said 'class 406:
    17.7 %' under a headline's 'altar 17.7 %': the names the study's rows give are used."""
    rows = list(csv.DictReader(open(finished_study / "images.csv", newline="")))
    row = next(r for r in rows if r["status"] == "ok")
    viewer = _viewer(qtbot, finished_study)  # no class names: not the window's model
    viewer.show_row(row)
    assert viewer.adversarial_top5.text().split("<br>")[0].startswith(row["adv_top1_name"] + ":")
    assert viewer.clean_top5.text().split("<br>")[0].startswith(row["clean_top1_name"] + ":")
    viewer.close()
def test_the_viewer_shows_the_feature_projection(qtbot, finished_study, tmp_path) -> None:
    """Issue 27: the study's feature_projection.png in its own figure tab, at the file's size
    where it fits; a study without one says so in the tab."""
    import shutil  # noqa: PLC0415

    from PySide6.QtGui import QImage  # noqa: PLC0415

    viewer = _viewer(qtbot, finished_study)
    titles = [viewer.figures.tabText(i) for i in range(viewer.figures.count())]
    assert "Feature projection" in titles
    viewer.figures.setCurrentIndex(titles.index("Feature projection"))
    shown = viewer.figure_labels["feature_projection.png"].pixmap()
    image = QImage(str(finished_study / "feature_projection.png"))
    assert not shown.isNull() and not image.isNull()
    assert abs(shown.width() / shown.height() - image.width() / image.height()) < 0.02
    older = tmp_path / "older"
    shutil.copytree(finished_study, older)
    (older / "feature_projection.png").unlink()
    viewer = _viewer(qtbot, older)
    text = viewer.figure_labels["feature_projection.png"].text()
    assert text.startswith("No feature_projection.png in this folder") and "before" in text


def test_a_damaged_figure_is_not_said_to_be_missing(qtbot, finished_study) -> None:
    """A feature_projection.png cut short (its features.npz, queries.csv and projection CSV too)
    was shown as 'No feature_projection.png in this folder (a study run before advgui drew
    it...)', though the file was there: the user was sent looking for the wrong cause."""
    for name, keep in (("feature_projection.png", 1000), ("features.npz", 100),
                       ("feature_projection.csv", 200), ("fragility.png", 0)):
        path = finished_study / name
        path.write_bytes(path.read_bytes()[:keep])
    before = _snapshot(finished_study)
    viewer = _viewer(qtbot, finished_study)
    for name in ("feature_projection.png", "fragility.png"):
        text = viewer.figure_labels[name].text()
        assert f"{name} is in this folder but cannot be shown" in text
        assert "Run the study again" in text and not text.startswith("No ")
    assert viewer.rows.rowCount() > 0 and _snapshot(finished_study) == before


def test_a_figure_planted_as_a_link_is_not_shown(qtbot, finished_study, tmp_path) -> None:
    """A fragility.png replaced by a symbolic link to a PNG outside the study folder was shown
    as the study's own figure: the viewer followed the link. It says the file is a link and shows
    nothing of it; a hard link (another name, perhaps outside) likewise."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("fragility.png", "error_by_tier.png"):
        (finished_study / name).rename(outside / name)
    (finished_study / "fragility.png").symlink_to(outside / "fragility.png")
    os.link(outside / "error_by_tier.png", finished_study / "error_by_tier.png")
    before = _snapshot(finished_study)
    viewer = _viewer(qtbot, finished_study)
    text = viewer.figure_labels["fragility.png"].text()
    assert text.startswith("fragility.png is in this folder but cannot be shown: it is a "
                           "symbolic link"), text
    assert "outside the study folder" in text and "Run the study again" in text
    text = viewer.figure_labels["error_by_tier.png"].text()
    assert text.startswith("error_by_tier.png is in this folder but cannot be shown: it has "
                           "another name too (a hard link)"), text
    for name in ("fragility.png", "error_by_tier.png"):
        label = viewer.figure_labels[name]
        assert label.pixmap().isNull(), name
    # the study's own figures are still shown
    assert not viewer.figure_labels["error_vs_eps.png"].pixmap().isNull()
    assert viewer.rows.rowCount() > 0 and _snapshot(finished_study) == before


def test_a_study_of_one_image_is_said_in_the_singular(qtbot, tmp_path) -> None:
    """The status line of a one-image square study read '1 images, 2 attack rows'."""
    from advgui.cli.main import main  # noqa: PLC0415
    from tests.helpers.models import tiny_model_file  # noqa: PLC0415
    from tests.helpers.study import study_args, write_images  # noqa: PLC0415

    model = tiny_model_file(tmp_path / "tiny.onnx")
    folder = write_images(tmp_path / "imgs", ["n00000001_猫, a cat.png"])
    out = tmp_path / "out"
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "square",
                                             "--queries", "1", "--per-tier", "1")]) == 0
    viewer = _viewer(qtbot, out)
    assert viewer.status.text().startswith("1 image, 2 attack rows")
    assert not viewer.figure_labels["feature_projection.png"].pixmap().isNull()
    assert viewer.rows.item(0, 0).text().replace("\u200b", "") == "n00000001_猫, a cat.png"


def test_an_adversarial_png_planted_as_a_link_is_not_shown_as_the_rows(qtbot,
                                                                      finished_study) -> None:
    """A row's adversarial PNG replaced by a symbolic link to another row's PNG (inside the
    folder, so the old 'outside the folder' check passed) was shown as this row's adversarial;
    a hard link likewise. Each is named, and nothing of it shown; other rows still show."""
    rows = [r for r in csv.DictReader(open(finished_study / "images.csv", newline=""))
            if r["status"] == "ok"]
    linked, hard, other, fine = rows[0], rows[1], rows[2], rows[3]
    (finished_study / linked["adversarial_png"]).unlink()
    (finished_study / linked["adversarial_png"]).symlink_to(
        finished_study / other["adversarial_png"])
    (finished_study / hard["adversarial_png"]).unlink()
    os.link(finished_study / other["adversarial_png"], finished_study / hard["adversarial_png"])
    viewer = _viewer(qtbot, finished_study)
    viewer.show_row(linked)
    text = viewer.adversarial_photo.text().replace("\u200b", "")
    assert viewer.adversarial_photo.pixmap().isNull()
    assert linked["adversarial_png"] in text and "symbolic link" in text, text
    viewer.show_row(hard)
    text = viewer.adversarial_photo.text().replace("\u200b", "")
    assert viewer.adversarial_photo.pixmap().isNull()
    assert "hard link" in text, text
    viewer.show_row(fine)
    assert not viewer.adversarial_photo.pixmap().isNull()
    assert not viewer.clean_photo.pixmap().isNull()
