"""advgui-cli explain-study: the feature projection and the divergence profile per tier of a
study, written beside its reports with the numbers drawn."""

from __future__ import annotations

from PIL import Image

from advgui.cli.main import main
from tests.helpers.cli import rows
from tests.helpers.study import model_and_images, study_args


def test_projection_and_profile_per_tier(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast",
                                             "--targets", "least-likely", "--eps", "8")]) == 0
    assert main(["explain-study", str(out), "--model", str(model), "--device", "cpu"]) == 0
    points = rows(out / "feature_projection.csv")
    studied = [r for r in rows(out / "images.csv") if r["status"] == "ok"]
    assert len(points) == len(studied) == 8
    assert {r["file"] for r in points} == {r["file"] for r in studied}
    # Clean and adversarial are different points (the attack moved the features).
    assert all((r["clean_x"], r["clean_y"]) != (r["adv_x"], r["adv_y"]) for r in points)
    profile = rows(out / "divergence_by_tier.csv")
    tiers = {r["tier"] for r in studied}
    assert {r["tier"] for r in profile} == tiers
    blocks = list(dict.fromkeys(r["block"] for r in profile))
    assert blocks[-1].startswith("flatten") and len(profile) == len(tiers) * len(blocks)
    for tier in tiers:
        count = sum(r["tier"] == tier for r in studied)
        assert all(int(r["images"]) == count for r in profile if r["tier"] == tier)
    for name in ("feature_projection.png", "divergence_by_tier.png"):
        with Image.open(out / name) as image:
            assert image.size[0] > 400
    assert "saved" in capsys.readouterr().out


def test_another_model_is_refused(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast",
                                             "--targets", "least-likely", "--eps", "8")]) == 0
    from tests.helpers.models import tiny_model_file
    other = tiny_model_file(tmp_path / "other.onnx", seed=5)
    assert main(["explain-study", str(out), "--model", str(other), "--device", "cpu"]) == 2
    assert "run with another model" in capsys.readouterr().err
