"""The dry run counts the features phase (issue 27): after its attacks a study runs the model
once more on every sampled photo and every adversarial to record features.npz, and the plan
left those runs out (minutes on a large study). A model without a Gemm/MatMul records none."""

from __future__ import annotations

import re

from advgui.cli.main import main
from tests.helpers.study import model_and_images, study_args


def _phases(text: str) -> dict[str, int]:
    found = re.findall(r"^(\S.*?)\s{2,}([\d,]+)\s+([\d,]+)$", text, re.M)
    return {name: int(fwd.replace(",", "")) for name, fwd, _ in found}


def test_the_plan_counts_the_features_phase(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    args = [str(a) for a in study_args(folder, out, model, "--methods", "square", "fast",
                                       "--queries", "20", "--dry-run")]
    assert main(args) == 0
    phases = _phases(capsys.readouterr().out)
    # 8 photos + 8 photos x 2 targets x 2 attacks adversarials
    assert phases["features"] == 8 + 8 * 2 * 2
    assert phases["total"] == sum(v for k, v in phases.items() if k != "total")
    assert not out.exists()
    assert main([*args[:-1], "--classify-only", "--dry-run"]) == 0
    assert "features" not in _phases(capsys.readouterr().out)


def test_the_cost_page_names_the_phases_the_plan_prints() -> None:
    from pathlib import Path  # noqa: PLC0415

    page = (Path(__file__).resolve().parents[2] / "docs" / "performance.md").read_text()
    section = page[page.index("**What a study costs**"):page.index("<!-- generated: study-cost")]
    assert "square =" in section and "`features` phase" in section
