"""What the docs say about Square Attack against what the study and the window do: queries.csv
is written beside any other method (a square + fast study has one; the page said 'a study with
Square Attack only'), and the window's budget is its attack panel's Queries field (the page said
it was fixed at the default)."""

from __future__ import annotations

import csv
from pathlib import Path

from advgui.cli.main import main
from tests.helpers.study import model_and_images, study_args

ROOT = Path(__file__).resolve().parents[2]


def _row(page: str, name: str) -> str:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if line.startswith(f"| `{name}`"))


def test_queries_csv_is_written_beside_other_methods(tmp_path) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "square", "fast",
                                            "--queries", "10")]) == 0
    with open(out / "queries.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and {r["method"] for r in rows} == {"square"}
    assert "Square Attack only" not in _row("study-folder.md", "queries.csv")


def test_the_window_budget_is_described_as_its_field() -> None:
    from advgui.ui.widgets import attack_panel  # noqa: PLC0415

    source = Path(attack_panel.__file__).read_text(encoding="utf-8")
    assert 'form.addRow("Queries"' in source
    measures = (ROOT / "docs" / "measures.md").read_text(encoding="utf-8")
    assert "the window's budget is the default" not in measures
    assert "**Queries** field" in measures
