"""A study made from the window's batch dialog and one made by advgui-cli with the same settings
write the same files, the same rows and the same figures (issue 21: the window used to add an
error_by_tier.png of its own)."""

from __future__ import annotations

from advgui.core.model.registry import load_classifier
from advgui.core.tiers import TierThresholds
from advgui.ui.dialogs.batch_dialog import BatchDialog
from tests.helpers.cli import cli, rows

# Columns that say when or how fast, not what was measured.
VOLATILE = {"seconds", "elapsed", "time"}


def _files(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
            and p.name not in (".advgui.lock", "manifest.json", "study.json")}


def test_window_and_cli_write_the_same_study(qtbot, tiny_model, image_folder, tmp_path) -> None:
    clf = load_classifier(str(tiny_model), device="cpu")
    dialog = BatchDialog(clf, str(image_folder), TierThresholds(0.2, 0.12))
    qtbot.addWidget(dialog)
    window_out, cli_out = tmp_path / "from_window", tmp_path / "from_cli"
    dialog.out.setText(str(window_out))
    dialog.per_tier.setValue(0)  # all
    dialog.eps.setText("4, 8")
    with qtbot.waitSignal(dialog.studyFinished, timeout=120_000):
        dialog.start.click()
    dialog.close()
    cli("study", image_folder, "--out", cli_out, "--model", tiny_model, "--device", "cpu",
        "--eps", "4", "8", "--high", "0.2", "--medium", "0.12", options=False)

    assert _files(window_out) == _files(cli_out)
    for name in ("images.csv", "summary.csv", "clean.csv", "fragility.csv"):
        a, b = rows(window_out / name), rows(cli_out / name)
        strip = lambda rs: [{k: v for k, v in r.items() if k not in VOLATILE} for r in rs]  # noqa: E731
        assert strip(a) == strip(b), name
    for figure in ("error_by_tier.png", "error_vs_eps.png", "fragility.png"):
        assert (window_out / figure).read_bytes() == (cli_out / figure).read_bytes(), figure
