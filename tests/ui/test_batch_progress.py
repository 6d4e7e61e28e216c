"""Issue 24, item 6: the batch dialog's output follows the images folder, its ε list takes the
one separator convention, its progress names the phase with a time left from the first event,
its table and plot fill as rows arrive, and its table shows every tier row at 1024x768."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from advgui.core.model.registry import load_classifier
from advgui.core.tiers import TierThresholds
from advgui.ui.dialogs.batch_dialog import BatchDialog, default_output


@pytest.fixture
def dialog(qtbot, tiny_model, image_folder):
    d = BatchDialog(load_classifier(str(tiny_model), device="cpu"), str(image_folder),
                    TierThresholds(0.2, 0.12))
    qtbot.addWidget(d)
    yield d
    d.close()


def _type(qtbot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_the_output_follows_a_typed_images_folder(qtbot, dialog, tmp_path) -> None:
    other = tmp_path / "holiday photos"
    other.mkdir()
    _type(qtbot, dialog.folder, str(other))
    assert dialog.out.text() == str(default_output(other))
    assert default_output(other).name == "holiday photos"
    mine = str(tmp_path / "my study")
    _type(qtbot, dialog.out, mine)  # the user's own output stays whatever the images folder
    _type(qtbot, dialog.folder, str(tmp_path))
    assert dialog.out.text() == mine


@pytest.mark.parametrize("typed", ["4 8", "4,8", "4, 8", "4;8", " 4  8 "])
def test_eps_takes_spaces_and_commas(qtbot, dialog, tmp_path, typed) -> None:
    dialog.out.setText(str(tmp_path / "o"))
    _type(qtbot, dialog.eps, typed)
    assert dialog.config().eps == (4.0, 8.0)


def test_progress_names_the_phase_and_the_table_fills_as_rows_arrive(qtbot, dialog,
                                                                     tmp_path) -> None:
    dialog.out.setText(str(tmp_path / "study"))
    dialog.per_tier.setValue(0)
    dialog.eps.setText("4 8")
    seen: list[tuple[str, str, int, int]] = []
    dialog.progressText.connect(lambda _: seen.append(
        (dialog.status.text(), dialog.bar.format(), dialog.bar.value(), dialog.table.rowCount())))
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
        assert "elapsed" in dialog.status.text()  # at once, before any event
    progress = [s for s in seen if "Classifying" in s[0] or "Attacking" in s[0]]
    first_classify = next(s for s in progress if "Classifying" in s[0])
    assert "left" in first_classify[0]  # a time left from the first batch on
    first_attack = next(s for s in progress if "Attacking" in s[0])
    # the attack phase shows at once, with its job, at 0: never "classify 100 %" meanwhile
    assert first_attack[1].startswith("attack") and first_attack[2] == 0
    assert "eps 4" in first_attack[0] and "left" in first_attack[0]
    attacks = [s for s in progress if "Attacking" in s[0]]
    assert any(s[3] > 0 for s in attacks[:-1])  # rows shown before the study finished
    assert "Finished" in dialog.status.text()


def test_the_table_shows_every_tier_row_at_1024x768(qtbot, dialog, tmp_path) -> None:
    dialog.out.setText(str(tmp_path / "study"))
    dialog.per_tier.setValue(0)
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
    # every tier filled (the tiny model's photos are all "high"): as a real study's table
    summary = list(csv.DictReader(open(tmp_path / "study" / "summary.csv", newline="")))
    summary += [{**r, "tier": t} for r in summary if r["tier"] == "high" for t in ("medium", "low")]
    dialog.show_summary(summary)
    dialog.resize(1024 - 40, 768 - 60)  # the dialog's size on a 1024x768 screen
    dialog.show()
    qtbot.waitExposed(dialog)
    table, view = dialog.table, dialog.table.viewport()
    assert table.rowCount() == 8  # 2 targets x (3 tiers + all)

    def every_row_shown() -> bool:  # once the dialog has laid itself out at that size
        return all(table.visualRect(table.model().index(i, 0)).bottom() <= view.height()
                   for i in range(table.rowCount()))
    qtbot.waitUntil(every_row_shown, timeout=5_000)
    last = table.columnCount() - 1
    assert table.visualRect(table.model().index(0, last)).right() <= view.width()


def test_several_eps_have_their_own_markers(qtbot, dialog, tmp_path) -> None:
    dialog.out.setText(str(tmp_path / "nothing"))
    row = {"tier": "high", "images": "3", "top1_error_truth": "0.5",
           "top1_error_truth_lo": "0.2", "top1_error_truth_hi": "0.8"}
    summary = [{**row, "method": "fast", "target": "inverse", "eps": e} for e in ("4", "8")]
    dialog._plot(summary, "top1_error_truth")
    symbols = {c.name(): c.opts["symbol"] for c in dialog.plot.listDataItems()}
    assert len(set(symbols.values())) == 2, symbols


def test_a_resumed_study_has_a_time_left_from_its_first_event(tmp_path) -> None:
    """A resume classifies nothing: its earlier runs' rate prices the attacks at once."""
    from advgui.core.records.config import StudyConfig, StudyProgress
    from advgui.ui.dialogs.study_eta import StudyClock

    config = StudyConfig(folder=tmp_path, out=tmp_path / "o", eps=(4.0, 8.0, 16.0))
    clock = StudyClock(config, now=0.0, earlier_rate=0.1)  # 1 row every 10 s before
    clock.update(StudyProgress("attack", 40, 60, {}, "fast least-likely eps 16", new=0), now=5.0)
    assert clock.line(now=5.0).endswith("about 3:20 left")  # 20 rows at 10 s
    assert clock.short(now=65.0) == "attack 40/60 · 2:20 left"  # counting down
    without = StudyClock(config, now=0.0)
    without.update(StudyProgress("attack", 40, 60, {}, new=0), now=5.0)
    assert "after the first batch" in without.line(now=5.0)
