"""advgui-cli explain-study: the divergence profile per tier of a study, with the numbers drawn,
written into its own folder (never into the study, whose only writer is its study)."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from advgui.cli.main import main
from tests.helpers.cli import rows
from tests.helpers.study import model_and_images, study_args


def test_profile_per_tier(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast",
                                             "--targets", "least-likely", "--eps", "8")]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    explained = tmp_path / "explained"
    assert main(["explain-study", str(out), "--out", str(explained), "--model", str(model),
                 "--device", "cpu"]) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    studied = [r for r in rows(out / "images.csv") if r["status"] == "ok"]
    assert len(studied) == 8
    profile = rows(explained / "divergence_by_tier.csv")
    tiers = {r["tier"] for r in studied}
    assert {r["tier"] for r in profile} == tiers
    blocks = list(dict.fromkeys(r["block"] for r in profile))
    assert blocks[-1].startswith("flatten") and len(profile) == len(tiers) * len(blocks)
    for tier in tiers:
        count = sum(r["tier"] == tier for r in studied)
        assert all(int(r["images"]) == count for r in profile if r["tier"] == tier)
    with Image.open(explained / "divergence_by_tier.png") as image:
        assert image.size[0] > 400
    assert "saved" in capsys.readouterr().out


def test_another_model_is_refused(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast",
                                             "--targets", "least-likely", "--eps", "8")]) == 0
    from tests.helpers.models import tiny_model_file
    other = tiny_model_file(tmp_path / "other.onnx", seed=5)
    assert main(["explain-study", str(out), "--out", str(tmp_path / "x"), "--model", str(other),
                 "--device", "cpu"]) == 2
    assert "run with another model" in capsys.readouterr().err


def test_an_out_folder_inside_the_study_is_refused(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast",
                                             "--targets", "least-likely", "--eps", "8")]) == 0
    assert main(["explain-study", str(out), "--out", str(out / "mine"), "--model", str(model),
                 "--device", "cpu"]) == 2
    assert "inside the study folder" in capsys.readouterr().err
    assert not (out / "mine").exists()


def test_an_out_folder_inside_another_study_is_refused(tmp_path, capsys) -> None:
    """explain-study refused only its own study folder: --out inside another study wrote
    divergence_by_tier.* among that study's records."""
    model, folder, out = model_and_images(tmp_path)
    other = tmp_path / "other"
    for where in (out, other):
        assert main([str(a) for a in study_args(folder, where, model, "--methods", "fast")]) == 0
    before = sorted(p.relative_to(other) for p in other.rglob("*"))
    capsys.readouterr()
    assert main(["explain-study", str(out), "--out", str(other / "x"), "--model", str(model),
                 "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "inside the study folder" in err and "Traceback" not in err
    assert sorted(p.relative_to(other) for p in other.rglob("*")) == before


def test_missing_photos_or_adversarials_are_named(tmp_path, capsys) -> None:
    """The manifest keeps the images folder as the study was given it (often relative), so
    explain-study from another directory, or after a photo moved, said only 'file not found
    (broken link?)': now it names the folder or file and the way out (--images)."""
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast")]) == 0
    base = ["explain-study", str(out), "--model", str(model), "--device", "cpu"]
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "a"), "--images", str(tmp_path / "gone")]) == 2
    err = capsys.readouterr().err
    assert "gone" in err and "--images" in err and "Traceback" not in err
    photo = sorted(folder.glob("*.png"))[0]
    photo.rename(tmp_path / photo.name)
    assert main([*base, "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert photo.name in err and "Traceback" not in err


def _fast_study(tmp_path, *extra: str):
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast", "--targets",
                                             "least-likely", "--eps", "8", *extra)]) == 0
    return model, folder, out


def _explain(out, model, where) -> int:
    return main(["explain-study", str(out), "--out", str(where), "--model", str(model),
                 "--device", "cpu"])


def test_each_mean_has_its_interval_and_n_and_a_rerun_writes_the_same_files(tmp_path) -> None:
    """The intervals are a seeded bootstrap: two runs write byte-identical CSVs and figures."""
    model, _, out = _fast_study(tmp_path)
    assert _explain(out, model, tmp_path / "a") == 0 and _explain(out, model, tmp_path / "b") == 0
    for name in ("divergence_by_tier.csv", "divergence_by_tier.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    header = (tmp_path / "a" / "divergence_by_tier.csv").read_text().splitlines()[0].split(",")
    assert header[:5] == ["tier", "block", "images", "mean_relative_l2", "mean_cosine"]
    profile = rows(tmp_path / "a" / "divergence_by_tier.csv")
    assert all(int(r["images"]) >= 2 for r in profile)
    for r in profile:
        for m in ("relative_l2", "cosine"):
            assert float(r[f"{m}_low"]) <= float(r[f"mean_{m}"]) <= float(r[f"{m}_high"])
            assert float(r[f"{m}_low"]) < float(r[f"{m}_high"])
            assert int(r[f"{m}_n"]) == int(r["images"])


def test_the_csv_means_are_numpys_from_the_activations(tmp_path) -> None:
    """Recomputed here in float64 with numpy's norms from each block's activations, apart from
    the divergence code the command uses."""
    from advgui.core.explain import Explainer
    from advgui.core.model.images import load_rgb
    from advgui.core.model.registry import load_classifier

    model, folder, out = _fast_study(tmp_path)
    assert _explain(out, model, tmp_path / "e") == 0
    clf = load_classifier(str(model), device="cpu")
    explainer, pre = Explainer(clf), clf.preprocessing
    rel: dict[str, list] = {}
    cos: dict[str, list] = {}
    for r in rows(out / "images.csv"):
        if r["status"] != "ok":
            continue
        clean = pre.to_model(pre.load(load_rgb(folder / r["file"]))[None])[0]
        adv = pre.to_model(np.asarray(load_rgb(out / r["adversarial_png"]))[None])[0]
        a = [x.astype(np.float64).ravel() for x in explainer.activations(clean)]
        b = [x.astype(np.float64).ravel() for x in explainer.activations(adv)]
        rel.setdefault(r["tier"], []).append(
            [np.linalg.norm(y - x) / np.linalg.norm(x) for x, y in zip(a, b)])
        cos.setdefault(r["tier"], []).append(
            [x @ y / (np.linalg.norm(x) * np.linalg.norm(y)) for x, y in zip(a, b)])
    profile = rows(tmp_path / "e" / "divergence_by_tier.csv")
    for tier in rel:
        mine = [r for r in profile if r["tier"] == tier]
        np.testing.assert_allclose([float(r["mean_relative_l2"]) for r in mine],
                                   np.mean(rel[tier], axis=0), rtol=2e-5)
        np.testing.assert_allclose([float(r["mean_cosine"]) for r in mine],
                                   np.mean(cos[tier], axis=0), rtol=2e-5)


def test_a_tier_of_one_image_has_no_interval_and_an_empty_tier_is_named(tmp_path,
                                                                        capsys) -> None:
    """Thresholds put the least confident image alone in low, none in medium, the rest in high."""
    model, folder, _ = model_and_images(tmp_path)
    first = tmp_path / "first"
    assert main([str(a) for a in study_args(folder, first, model, "--classify-only")]) == 0
    p = sorted(float(r["top1_probability"]) for r in rows(first / "clean.csv"))
    assert p[0] < p[1]
    medium = (p[0] + p[1]) / 2
    high = (medium + p[1]) / 2
    out = tmp_path / "out"
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast", "--targets",
                                             "least-likely", "--eps", "8", "--high", repr(high),
                                             "--medium", repr(medium))]) == 0
    capsys.readouterr()
    assert _explain(out, model, tmp_path / "e") == 0
    said = capsys.readouterr().out
    assert "tier low: 1 image, no interval" in said and "tier medium: no images, left out" in said
    assert "tier high: 7 images, its intervals hold the mean less often than 95 %" in said
    profile = rows(tmp_path / "e" / "divergence_by_tier.csv")
    assert [r["tier"] for r in profile[::len(profile) // 2]] == ["high", "low"]
    for r in profile:
        if r["tier"] == "low":
            assert r["images"] == "1" and r["relative_l2_low"] == r["cosine_high"] == "nan"
            assert float(r["mean_relative_l2"]) >= 0
        else:
            assert r["images"] == "7"
            assert float(r["relative_l2_low"]) <= float(r["mean_relative_l2"])
    with Image.open(tmp_path / "e" / "divergence_by_tier.png") as image:
        assert image.size[0] > 400


def test_a_study_without_adversarials_says_so_in_one_line(tmp_path, capsys) -> None:
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--classify-only")]) == 0
    capsys.readouterr()
    assert _explain(out, model, tmp_path / "e") == 2
    err = capsys.readouterr().err
    assert "no adversarial images to explain" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and not (tmp_path / "e").exists()


def test_an_out_that_is_no_folder_is_refused_before_any_work(tmp_path, capsys) -> None:
    """--out a file, or a link to nothing, ran every image first and then stopped with
    '[Errno 17] File exists'; links planted in a real --out folder are replaced, never followed."""
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast",
                                             "--targets", "least-likely", "--eps", "8")]) == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    for given, said in ((victim, "is a file, not a folder"), (victim / "sub", "is a file"),
                        (dangling, "which does not exist")):
        capsys.readouterr()
        assert main(["explain-study", str(out), "--out", str(given), "--model", str(model),
                     "--device", "cpu"]) == 2
        err = capsys.readouterr().err
        assert said in err and "Errno" not in err and "explain-study 8/8" not in err
    assert victim.read_text() == "precious" and not (tmp_path / "nowhere").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "divergence_by_tier.csv").symlink_to(victim)
    os.link(victim, mine / "divergence_by_tier.png")
    assert main(["explain-study", str(out), "--out", str(mine), "--model", str(model),
                 "--device", "cpu"]) == 0
    assert victim.read_text() == "precious"
    assert not (mine / "divergence_by_tier.csv").is_symlink()
    assert rows(mine / "divergence_by_tier.csv")


def test_hand_edited_study_records_are_said_in_one_line(tmp_path, capsys) -> None:
    """A manifest.json edited to a list stopped explain-study with an AttributeError traceback;
    a damaged one or study.json said only json's 'Expecting value: line 1 column 1 (char 0)'."""
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast",
                                             "--targets", "least-likely", "--eps", "8")]) == 0
    manifest, definition = (out / "manifest.json").read_text(), (out / "study.json").read_text()
    explain = ["explain-study", str(out), "--out", str(tmp_path / "x"), "--model", str(model),
               "--device", "cpu"]
    for text in ("[1]", "garbage", '{"config": 3}'):
        (out / "manifest.json").write_text(text)
        capsys.readouterr()
        assert main(explain) == 2
        err = capsys.readouterr().err
        assert "manifest.json does not say where the study's photos are" in err
        assert "--images" in err and "Traceback" not in err
    (out / "manifest.json").write_text(manifest)
    (out / "study.json").write_text("{")
    assert main(explain) == 2
    assert "its study.json is missing or damaged" in capsys.readouterr().err
    (out / "study.json").write_text(definition)
    assert main(explain) == 0


def test_a_study_of_two_targets_counts_each_image_once(tmp_path, capsys) -> None:
    """The default study attacks every image towards two targets: pooling both rows counted each
    image twice ('16 images' of 8) and its bootstrap resampled the copies as independent."""
    model, folder, out = model_and_images(tmp_path)
    assert main([str(a) for a in study_args(folder, out, model, "--methods", "fast",
                                             "--targets", "inverse", "least-likely",
                                             "--eps", "8")]) == 0
    studied = [r for r in rows(out / "images.csv") if r["status"] == "ok"]
    for target in ("least-likely", "inverse", None):
        explained = tmp_path / f"explained-{target}"
        extra = ["--target", target] if target else []
        assert main(["explain-study", str(out), "--out", str(explained), "--model", str(model),
                     "--device", "cpu", *extra]) == 0
        chosen = target or studied[0]["target"]
        profile = rows(explained / "divergence_by_tier.csv")
        for tier in {r["tier"] for r in profile}:
            count = sum(r["tier"] == tier and r["target"] == chosen for r in studied)
            assert all(int(r["images"]) == count for r in profile if r["tier"] == tier)
    assert main(["explain-study", str(out), "--out", str(tmp_path / "x"), "--model", str(model),
                 "--device", "cpu", "--target", "class:3"]) == 2
    assert "no rows with method fast, target class:3 and eps 8" in capsys.readouterr().err
