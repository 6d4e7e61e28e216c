"""Issue 21: the batch dialog's table and `advgui-cli summary --markdown` show a study's transfer
and destruction rates as the same strings, also for a study without true labels (the dialog
used to show "n/a" there, and the destruction rate printed in three formats)."""

from __future__ import annotations

from advgui.core.model.registry import load_classifier
from advgui.core.tiers import TierThresholds
from advgui.ui.dialogs.batch_dialog import BatchDialog
from tests.helpers.beside_table import table_rows
from tests.helpers.cli import cli, rows
from tests.helpers.study import two_models_and_images


def test_a_study_without_labels_shows_the_same_rates_in_the_dialog_and_the_summary(
        qtbot, tmp_path) -> None:
    model, other, folder = two_models_and_images(tmp_path)
    for i, f in enumerate(sorted(folder.iterdir())):
        f.rename(folder / f"photo_{i}.png")  # no wnid in the names: no truth at all
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, "--transfer-to", other,
        "--destroy", "jpeg:50", "--eps", "4")
    md = cli("summary", out, "--markdown").stdout
    assert "no true labels" in md
    shown = {(r["tier"], r["method"], r["target"], r["eps"]): r
             for r in table_rows(md.replace("white-box top-1 changed", "white-box top-1"))}

    dialog = BatchDialog(load_classifier(str(model), device="cpu"), str(folder),
                         TierThresholds(0.2, 0.12))
    qtbot.addWidget(dialog)
    dialog.out.setText(str(out))
    dialog.show_summary(rows(out / "summary.csv"))
    table = dialog.table
    heads = [table.horizontalHeaderItem(j).text() for j in range(table.columnCount())]
    compared = 0
    for i in range(table.rowCount()):
        target, eps, tier = (table.item(i, j).text() for j in range(3))
        for method in ("fast", "iterative"):
            for column, beside in ((f"{method} → other top-1 changed", "→ other top-1 changed"),
                                   (f"{method} jpeg:50 destroys", "jpeg:50 d")):
                cell = table.item(i, heads.index(column)).text()
                assert cell == shown[tier, method, target, eps][beside], (column, tier)
                compared += cell not in ("", "—")
    assert compared  # real rates were compared, not only blanks
    assert "n/a" not in {table.item(i, j).text() for i in range(table.rowCount())
                         for j in range(4, table.columnCount()) if "→" in heads[j]}
    dialog.close()
