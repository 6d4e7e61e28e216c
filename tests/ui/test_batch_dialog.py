"""The batch dialog runs the same study as the CLI and shows its summary."""

from __future__ import annotations

import csv
import errno
import os

from PySide6.QtWidgets import QMessageBox

from advgui.core.model.registry import load_classifier
from advgui.core.tiers import TierThresholds
from advgui.ui.dialogs.batch_dialog import BatchDialog


def test_batch_dialog_end_to_end(qtbot, tiny_model, image_folder, tmp_path) -> None:
    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(image_folder), TierThresholds(0.2, 0.12))
    qtbot.addWidget(dialog)
    out = tmp_path / "study"
    dialog.out.setText(str(out))
    dialog.per_tier.setValue(0)  # all
    dialog.eps.setText("4, 8")
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
    rows = list(csv.DictReader(open(out / "images.csv")))
    assert len(rows) == 5 * 2 * 2 * 2  # images x methods x targets x eps
    assert dialog.table.rowCount() > 0
    assert (out / "error_by_tier.png").exists()
    assert dialog.open_csv.isEnabled()
    assert "Finished" in dialog.status.text()
    dialog.close()


def test_batch_dialog_rejects_bad_eps(qtbot, tiny_model, image_folder, tmp_path, monkeypatch) -> None:
    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(image_folder), TierThresholds())
    qtbot.addWidget(dialog)
    dialog.out.setText(str(tmp_path / "o"))
    dialog.eps.setText("400")
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    dialog.start.click()
    assert warned and "(0, 255]" in warned[0]


def test_batch_dialog_reports_a_full_disk_and_resumes(qtbot, tiny_model, image_folder, tmp_path,
                                                       monkeypatch) -> None:
    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(image_folder), TierThresholds(0.2, 0.12))
    qtbot.addWidget(dialog)
    out = tmp_path / "study"
    dialog.out.setText(str(out))
    dialog.per_tier.setValue(0)
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()))
    real_write, calls = os.write, {"n": 0}

    def full_after_a_few(fd, data):  # the disk fills while attack rows are being appended
        if not os.readlink(f"/proc/self/fd/{fd}").endswith("images.csv"):
            return real_write(fd, data)
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_after_a_few)
    dialog.start.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    monkeypatch.setattr(os, "write", real_write)
    assert "disk is full" in shown[0] and "finished rows kept" in shown[0]
    assert "Stopped" in dialog.status.text() and dialog.start.isEnabled()
    kept = list(csv.DictReader(open(out / "images.csv")))
    assert 0 < len(kept) < 20
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
    rows = list(csv.DictReader(open(out / "images.csv")))
    assert len(rows) == 5 * 2 * 2  # images x methods x targets, resumed without duplicates
    assert rows[:len(kept)] == kept
    dialog.close()


def test_error_plot_keeps_equal_series_apart_with_their_intervals(qtbot, tiny_model,
                                                                   tmp_path) -> None:
    import pyqtgraph as pg

    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(tmp_path), TierThresholds())
    qtbot.addWidget(dialog)
    dialog.out.setText(str(tmp_path / "no-such-folder"))  # nothing is saved
    row = {"tier": "high", "eps": "8", "images": "3", "top1_error_truth": "1.0",
           "top1_error_truth_lo": "0.2", "top1_error_truth_hi": "1.0"}
    summary = [{**row, "method": m, "target": t}
               for m in ("fast", "iterative") for t in ("inverse", "least-likely")]
    dialog._plot(summary, "top1_error_truth")
    curves = dialog.plot.listDataItems()
    xs = sorted(float(c.getData()[0][0]) for c in curves)
    assert len(xs) == 4 and len(set(xs)) == 4  # all four visible, not stacked on one point
    assert all(-0.3 < x < 0.3 for x in xs)  # still within the high tier
    symbols = {c.opts["symbol"] for c in curves}
    assert symbols == {"o", "t"}  # inverse and least likely told apart by marker
    bars = [i for i in dialog.plot.items() if isinstance(i, pg.ErrorBarItem)]
    assert len(bars) == 4
    assert all(abs(float(b.opts["bottom"][0]) - 0.8) < 1e-9 for b in bars)
    dialog.close()


def test_batch_dialog_refuses_a_folder_a_cli_study_is_writing(qtbot, tiny_model, image_folder,
                                                             tmp_path, monkeypatch) -> None:
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    out = tmp_path / "study"
    root = Path(__file__).resolve().parents[2]
    cli = subprocess.Popen(
        [sys.executable, "-m", "advgui.cli.main", "study", str(image_folder), "--out", str(out),
         "--model", str(tiny_model), "--device", "cpu", "--batch", "1", "--steps", "4000",
         "--alpha", "0.002", "--high", "0.2", "--medium", "0.12"],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        end = time.time() + 60
        while not (out / "images.csv").exists() and time.time() < end and cli.poll() is None:
            time.sleep(0.05)
        clf = load_classifier(str(tiny_model), device="cpu")
        dialog = BatchDialog(clf, str(image_folder), TierThresholds(0.2, 0.12))
        qtbot.addWidget(dialog)
        dialog.out.setText(str(out))
        shown = []
        monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()))
        dialog.start.click()
        qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
        assert cli.poll() is None
        assert "in use by another advgui run" in shown[0] and f"process {cli.pid}" in shown[0]
        assert "Traceback" not in shown[0]
    finally:
        cli.send_signal(signal.SIGINT)
        cli.communicate(timeout=120)
    rows = list(csv.DictReader(open(out / "images.csv", newline="")))
    keys = [(r["file"], r["method"], r["target"], r["eps"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_batch_dialog_quantile_tiers_and_fragility_figure(qtbot, tiny_model, image_folder,
                                                          tmp_path) -> None:
    import json

    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(image_folder), TierThresholds())
    qtbot.addWidget(dialog)
    out = tmp_path / "study"
    dialog.out.setText(str(out))
    dialog.per_tier.setValue(0)
    dialog.tiers.setCurrentIndex(dialog.tiers.findData("quantile"))
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000) as done:
        dialog.start.click()
    manifest = json.loads((out / "manifest.json").read_text())
    cut = manifest["tier_thresholds_used"]
    assert 0 < cut["medium_min"] < cut["high_min"] < 1
    tiers = [r["tier"] for r in csv.DictReader(open(out / "clean.csv", newline=""))
             if r["status"] == "ok"]
    assert sorted(tiers.count(t) for t in ("high", "medium", "low")) == [1, 2, 2]  # 5 in thirds
    assert (out / "fragility.png").exists() and done.args[0].fragility
    assert not dialog.fragility.pixmap().isNull()
    assert "Spearman" in dialog.fragility.toolTip()
    dialog.close()


def test_a_new_run_clears_the_last_runs_table(qtbot, tiny_model, image_folder, tmp_path,
                                              monkeypatch) -> None:
    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(image_folder), TierThresholds(0.2, 0.12))
    qtbot.addWidget(dialog)
    dialog.out.setText(str(tmp_path / "one"))
    dialog.per_tier.setValue(0)
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
    assert dialog.table.rowCount() > 0
    dialog.out.setText(str(tmp_path / "two"))
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000) as done:
        dialog.start.click()
        # the worker's results arrive through the event loop: right after Start, nothing old
        assert dialog.table.rowCount() == 0 and dialog.fragility.text() == "Running…"
    assert dialog.table.rowCount() > 0 and "new rows" in dialog.status.text()
    assert done.args[0].new_rows == done.args[0].rows
    dialog.close()



def test_batch_dialog_runs_transfer_destruction_and_the_new_methods(qtbot, tiny_model,
                                                                   image_folder, tmp_path) -> None:
    """Issue 15: every study option is in the dialog too; the table shows the transfer error
    and the destruction rate beside the white-box error; several eps draw error against eps."""
    import onnx

    from tests.helpers.models import tiny_classifier_model

    other = tmp_path / "other.onnx"
    onnx.save(tiny_classifier_model(seed=7), other)
    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(image_folder), TierThresholds(0.2, 0.12))
    qtbot.addWidget(dialog)
    out = tmp_path / "study"
    dialog.out.setText(str(out))
    dialog.per_tier.setValue(0)
    dialog.eps.setText("4, 8")
    for m in ("iterative", "fast"):
        dialog.methods[m].setChecked(False)
    for m in ("pgd", "momentum"):
        dialog.methods[m].setChecked(True)
    dialog.transfer.setText(str(other))
    dialog.destroy.setText("jpeg:50")
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
    assert {r["method"] for r in csv.DictReader(open(out / "images.csv"))} == {"pgd", "momentum"}
    assert (out / "transfer_summary.csv").exists() and (out / "destroy_summary.csv").exists()
    headers = [dialog.table.horizontalHeaderItem(j).text() for j in range(dialog.table.columnCount())]
    assert any("→ other top-1 error" in h for h in headers)
    assert any("jpeg:50 destroys" in h for h in headers)
    assert (out / "error_vs_eps.png").exists() and dialog.error_eps.pixmap() is not None
    dialog.close()


def test_the_choices_are_locked_while_a_study_runs(qtbot, tiny_model, image_folder, tmp_path) -> None:
    """A folder typed mid-run stood beside another folder's progress, and an output typed
    mid-run was where the finished run's figures and Open CSV looked: locked while it runs."""
    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(image_folder), TierThresholds(0.2, 0.12))
    qtbot.addWidget(dialog)
    dialog.out.setText(str(tmp_path / "study"))
    dialog.per_tier.setValue(0)
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
        assert dialog.running
        assert not dialog.folder.isEnabled() and not dialog.out.isEnabled()
        assert not dialog.eps.isEnabled() and not dialog.methods["fast"].isEnabled()
    assert dialog.open_csv.isEnabled()
    dialog.out.setText(str(tmp_path / "second"))
    with qtbot.waitSignal(dialog.studyFinished, timeout=60_000):
        dialog.start.click()
        # the first run's Open CSV would open the second output, which has no summary.csv yet
        assert not dialog.open_csv.isEnabled() and not dialog.open_dir.isEnabled()
    assert dialog.open_csv.isEnabled()
    assert dialog.folder.isEnabled() and dialog.out.isEnabled() and dialog.eps.isEnabled()
    dialog.close()
