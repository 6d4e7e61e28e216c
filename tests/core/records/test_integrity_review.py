"""Study-folder integrity, the cases an independent hostile review found (issue 12): real
advgui-cli processes, as in test_integrity.py."""

from __future__ import annotations

import os

import pytest

from tests.helpers.cli import rows, run_cli
from tests.helpers.study import model_and_images, study_args, write_images


@pytest.fixture
def setup(tmp_path):
    return model_and_images(tmp_path)


def test_corrected_labels_and_new_eps_in_one_run_keep_every_row(setup) -> None:
    model, folder, out = setup
    assert run_cli(*study_args(folder, out, model))[0] == 0
    (folder / "labels.csv").write_text("file,class_index\n" + "".join(
        f"{p.name},3\n" for p in sorted(folder.glob("*.png"))))
    code, stdout, err = run_cli(*study_args(folder, out, model, "--eps", "8", "16"))
    assert code == 0 and "re-scored" in err and "64 in all" in stdout
    got = rows(out / "images.csv")
    assert len(got) == 64 and {r["truth"] for r in got} == {"3"}


def test_a_hard_link_in_the_study_folder_is_refused(setup, tmp_path) -> None:
    model, folder, out = setup
    assert run_cli(*study_args(folder, out, model))[0] == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / ".advgui-study.lock").unlink()
    os.link(victim, out / ".advgui-study.lock")
    code, _, err = run_cli(*study_args(folder, out, model, "--eps", "4"))
    assert code == 2 and "hard link" in err and victim.read_text() == "precious"


def test_folders_that_only_look_like_studies_are_refused(setup, tmp_path) -> None:
    model, folder, _ = setup
    for name in ("study.json", "manifest.json"):
        mine = tmp_path / f"mine-{name}"
        mine.mkdir()
        (mine / name).write_text('{"name": "my web app"}')
        code, _, err = run_cli(*study_args(folder, mine, model))
        assert code == 2 and "holds other files" in err
        assert (mine / name).read_text() == '{"name": "my web app"}'


def test_rows_without_their_clean_record_are_not_resumed(setup) -> None:
    model, folder, out = setup
    assert run_cli(*study_args(folder, out, model))[0] == 0
    (out / "clean.csv").unlink()
    code, _, err = run_cli(*study_args(folder, out, model, "--eps", "8", "16"))
    assert code == 2 and "clean.csv" in err and "missing" in err


def test_odd_inputs_give_one_line_or_a_note(setup, tmp_path) -> None:
    model, folder, out = setup
    assert run_cli(*study_args(folder, out, model))[0] == 0
    code, _, err = run_cli(*study_args(out / "adversarial", tmp_path / "again", model))
    assert code == 2 and "inside the advgui study folder" in err
    code, _, err = run_cli(*study_args(folder, tmp_path / "s", model, "--seed", "-1"))
    assert code == 2 and "--seed must be 0 or more" in err and not (tmp_path / "s").exists()
    (folder / "labels.csv").write_text("file,class_index\nsomething-else.png,3\n")
    code, _, err = run_cli(*study_args(folder, tmp_path / "l", model))
    assert code == 2 and "names none of the 8 images" in err
    (folder / "labels.csv").unlink()
    odd = write_images(tmp_path / "odd", ["n00000001_fine.png"])
    (odd / os.fsdecode(b"bad\xff.png")).write_bytes((odd / "n00000001_fine.png").read_bytes())
    code, _, err = run_cli(*study_args(odd, tmp_path / "o", model))
    assert code == 0 and "not valid UTF-8" in err
    assert len(rows(tmp_path / "o" / "clean.csv")) == 1
