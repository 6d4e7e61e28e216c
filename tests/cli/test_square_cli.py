"""advgui-cli attack --method square (issue 27): a query budget, the queries it used and where the
top-1 changed, printed; on a model whose gradient graph cannot be built, where the gradient
methods are refused."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from PIL import Image

from advgui.cli.main import main
from tests.helpers.models import no_gradient_model


def _args(image, out, model, *extra: str) -> list[str]:
    return ["attack", str(image), "--out", str(out), "--model", str(model), "--device", "cpu",
            "--target", "inverse", *extra]


def test_square_attacks_a_model_without_gradient_rules(image_folder, tmp_path, capsys) -> None:
    model = tmp_path / "sin.onnx"
    onnx.save(no_gradient_model(), model)
    image = sorted(image_folder.glob("*.png"))[0]
    assert main(_args(image, tmp_path / "fast.png", model, "--method", "fast")) != 0
    assert "odd_sin" in capsys.readouterr().err
    out = tmp_path / "square.png"
    assert main(_args(image, out, model, "--method", "square", "--queries", "25",
                      "--eps", "6")) == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if x.startswith("queries: "))
    used = int(line.split()[1])
    assert 1 <= used <= 25 and line.split()[3] == "25;"
    assert "top-1 changed at " in line
    assert "Linf 6 levels" in text
    saved = np.asarray(Image.open(out))
    assert saved.dtype == np.uint8


def test_the_query_budget_is_checked(image_folder, tiny_model, tmp_path, capsys) -> None:
    image = sorted(image_folder.glob("*.png"))[0]
    assert main(_args(image, tmp_path / "a.png", tiny_model, "--method", "square",
                      "--queries", "0")) != 0
    assert "queries must be a whole number in 1-100000" in capsys.readouterr().err


def test_a_study_refuses_queries_without_square(tmp_path, capsys) -> None:
    """--queries went into the study's definition (its id) though no method used it: a later
    run without it was then 'another study'. Refused before anything is written."""
    from tests.helpers.study import model_and_images, study_args  # noqa: PLC0415

    model, folder, study = model_and_images(tmp_path)
    args = [str(a) for a in study_args(folder, study, model, "--methods", "fast",
                                       "--queries", "300")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "add square to --methods" in err and "Traceback" not in err
    assert not study.exists() or not any(study.iterdir())
