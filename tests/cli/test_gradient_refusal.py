"""The refusal of a model without gradient rules points somewhere that exists: the README no
longer has a 'The gradient graph' section (issue 26 moved it to docs/gradient.md), and the study
spells its option --methods."""

from __future__ import annotations

import re
from pathlib import Path

import onnx

from advgui.cli.main import main
from tests.helpers.models import no_gradient_model

ROOT = Path(__file__).resolve().parents[2]


def test_the_refusal_names_a_page_that_exists(image_folder, tmp_path, capsys) -> None:
    model = tmp_path / "sin.onnx"
    onnx.save(no_gradient_model(), model)
    image = sorted(image_folder.glob("*.png"))[0]
    assert main(["attack", str(image), "--out", str(tmp_path / "a.png"), "--model", str(model),
                 "--device", "cpu", "--method", "fast"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "README 'The gradient graph'" not in err
    pages = re.findall(r"docs/[\w-]+\.md", err)
    assert pages and all((ROOT / p).is_file() for p in pages)
    assert "study --methods square" in err
