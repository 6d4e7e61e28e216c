"""advgui-cli explain: the PNG of the five views and the divergence CSV, per block and step."""

from __future__ import annotations

import numpy as np
from PIL import Image

from advgui.cli.main import main
from tests.helpers.cli import cli, rows


def test_explain_writes_the_views_and_the_divergence_per_block_and_step(
        tiny_model, image_folder, tmp_path) -> None:
    out = tmp_path / "explained"
    out.mkdir()
    photo = image_folder / "n00000000_sample0.png"
    done = cli("explain", photo, "--model", tiny_model, "--device", "cpu", "--eps", "8",
               "--steps", "3", "--out", out)
    assert "Grad-CAM layer: conv" in done.stdout
    png = out / "n00000000_sample0_explain.png"
    with Image.open(png) as image:
        width, height = image.size
    assert width > 3 * height  # five panels side by side
    table = rows(out / "n00000000_sample0_divergence.csv")
    blocks = list(dict.fromkeys(r["block"] for r in table))
    assert len(blocks) == 3 and blocks[-1].startswith("flatten")
    steps = sorted({int(r["step"]) for r in table if r["image"] == "float"})
    assert steps == [1, 2, 3]
    final = [r for r in table if r["image"] == "8-bit png"]
    assert [r["block"] for r in final] == blocks
    for r in table:
        assert float(r["relative_l2"]) >= 0 and -1 <= float(r["cosine"]) <= 1.000001
    # The perturbation moves every block: no zero distance once the attack has stepped.
    assert all(float(r["relative_l2"]) > 0 for r in final)
    assert np.isfinite([float(r["cosine"]) for r in final]).all()


def test_explain_refuses_a_missing_output_folder_before_loading(tmp_path, capsys) -> None:
    args = ["--model", str(tmp_path / "no-model.onnx"), "--device", "cpu"]
    assert main(["explain", str(tmp_path / "x.png"), "--out", str(tmp_path / "nope"), *args]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_explain_refuses_an_out_folder_inside_a_study(tiny_model, image_folder, tmp_path,
                                                      capsys) -> None:
    """A study folder's only writer is its study: explain wrote NAME_explain.png and its CSV
    into one (or its adversarial/ folder), beside the study's records and without its lock."""
    from tests.helpers.study import model_and_images, study_args  # noqa: PLC0415

    model, folder, study = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, study, model, "--methods", "fast")]) == 0
    before = sorted(p.relative_to(study) for p in study.rglob("*"))
    photo = image_folder / "n00000000_sample0.png"
    for out in (study, study / "adversarial"):
        capsys.readouterr()
        assert main(["explain", str(photo), "--model", str(tiny_model), "--device", "cpu",
                     "--steps", "2", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "inside the study folder" in err and "Traceback" not in err
    assert sorted(p.relative_to(study) for p in study.rglob("*")) == before


def test_explain_takes_square_query_budget(tiny_model, image_folder, tmp_path, capsys) -> None:
    """explain offers --method square but had no --queries: its budget was fixed at 1,000."""
    out = tmp_path / "sq"
    out.mkdir()
    photo = image_folder / "n00000000_sample0.png"
    base = ["explain", str(photo), "--model", str(tiny_model), "--device", "cpu",
            "--method", "square", "--target", "least-likely", "--out", str(out)]
    assert main([*base, "--queries", "3"]) == 0
    table = rows(out / "n00000000_sample0_divergence.csv")
    assert max(int(r["step"]) for r in table) <= 3
    capsys.readouterr()
    assert main([*base, "--queries", "0"]) == 2
    err = capsys.readouterr().err
    assert "queries" in err and "Traceback" not in err


def test_attack_refuses_an_out_png_inside_a_study(tiny_model, image_folder, tmp_path,
                                                  capsys) -> None:
    """attack --out wrote its PNG into a study folder (or its adversarial/), beside the study's
    records and without its lock: refused like explain's, and nothing is attacked."""
    from tests.helpers.study import model_and_images, study_args  # noqa: PLC0415

    model, folder, study = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, study, model, "--methods", "fast")]) == 0
    before = sorted(p.relative_to(study) for p in study.rglob("*"))
    photo = image_folder / "n00000000_sample0.png"
    for out in (study / "mine.png", study / "adversarial" / "mine.png"):
        capsys.readouterr()
        assert main(["attack", str(photo), "--model", str(tiny_model), "--device", "cpu",
                     "--method", "fast", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "inside the study folder" in err and "Traceback" not in err
    assert sorted(p.relative_to(study) for p in study.rglob("*")) == before
