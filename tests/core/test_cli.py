"""advgui-cli classify: files and folders, a line per skipped file, tier counts at the end."""

from __future__ import annotations

from advgui.cli.main import main


def test_classify_takes_a_folder_and_counts_tiers(tiny_model, image_folder, capsys) -> None:
    status = main(["classify", str(image_folder), "--model", str(tiny_model), "--device", "cpu"])
    out = capsys.readouterr().out.splitlines()
    assert status == 1  # the broken JPEG is skipped, and says so
    assert sum(": tier " in line for line in out) == 5
    assert sum(line.startswith("label: ") for line in out) == 25
    assert sum("broken.jpg: skipped: " in line for line in out) == 1
    last = out[-1]
    assert last.startswith("5 classified (high ") and last.endswith(", 1 skipped")
    counts = [int(part.split()[-1]) for part in last[last.index("(") + 1:last.index(")")].split(",")]
    assert sum(counts) == 5


def test_classify_says_what_is_wrong_with_a_path(tiny_model, image_folder, tmp_path,
                                                 capsys) -> None:
    one = sorted(image_folder.glob("*.png"))[0]
    sub = tmp_path / "sub"
    sub.mkdir()
    args = ["--model", str(tiny_model), "--device", "cpu"]
    assert main(["classify", str(one), str(tmp_path / "missing.png"), *args]) == 1
    out = capsys.readouterr().out
    assert "missing.png: skipped: file not found" in out
    last = out.splitlines()[-1]
    assert last.startswith("1 classified (high ") and last.endswith(", 1 skipped")
    assert main(["classify", str(sub), *args]) == 2
    assert f"no image files in {sub}" in capsys.readouterr().err


def test_attack_refuses_a_bad_path_or_output_before_loading_the_model(tmp_path, capsys) -> None:
    # --model names a file that does not exist: reaching the model would fail differently
    args = ["--model", str(tmp_path / "no-model.onnx"), "--device", "cpu"]
    assert main(["attack", str(tmp_path), "--out", str(tmp_path / "a.png"), *args]) == 2
    assert f"{tmp_path}: a folder, not an image file" in capsys.readouterr().err
    assert main(["attack", str(tmp_path / "x.png"), "--out", str(tmp_path / "a.jpg"), *args]) == 2
    assert "--out must end in .png" in capsys.readouterr().err
