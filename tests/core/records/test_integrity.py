"""A study folder is a research record: real advgui-cli processes, used as a hostile user would.

Each test drives only the command line, so it states what a user sees (exit code, message,
files); every one of them failed on the main branch before the integrity work (issue 12).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import onnx
import pytest
from onnx import helper
from PIL import Image

from advgui.core.model.classes import ClassList
from tests.helpers.cli import rows, run_cli, start_cli
from tests.helpers.models import tiny_classifier_model
from tests.helpers.study import model_and_images, study_args, write_images

SLOW = ["--steps", "4000", "--alpha", "0.002"]  # a study that runs for a while: stopped by SIGINT


def _model(path: Path, seed: int = 0) -> Path:
    model = tiny_classifier_model(seed)
    classes = ClassList(tuple(f"n{i:08d}" for i in range(10)), tuple(f"c{i}" for i in range(10)))
    for k, v in classes.to_metadata().items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, path)
    return path


def unescaped(value: str) -> str:
    return value[1:] if value.startswith("'") else value


@pytest.fixture
def setup(tmp_path):
    return model_and_images(tmp_path)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        if path.exists() and path.stat().st_size > 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} did not appear (exit {proc.poll()}: {proc.stderr.read()})")


# -- one writer ------------------------------------------------------------------------------
def test_a_second_study_into_the_same_folder_is_refused_naming_the_first(setup) -> None:
    model, folder, out = setup
    first = start_cli(*study_args(folder, out, model, *SLOW))
    _wait_for(out / "images.csv", first)
    code, _, err = run_cli(*study_args(folder, out, model, *SLOW))
    assert first.poll() is None, "the first study ended before the second was tried"
    assert code == 2
    assert "in use by another advgui run" in err and f"process {first.pid}" in err
    first.send_signal(signal.SIGINT)
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 130, stderr
    got = rows(out / "images.csv")
    keys = [(r["file"], r["method"], r["target"], r["eps"]) for r in got]
    assert 0 < len(keys) == len(set(keys))


def test_a_second_study_with_another_model_cannot_mix_in(setup, tmp_path) -> None:
    model, folder, out = setup
    other = _model(tmp_path / "other.onnx", seed=5)
    first = start_cli(*study_args(folder, out, model, *SLOW))
    _wait_for(out / "images.csv", first)
    code, _, err = run_cli(*study_args(folder, out, other, "--eps", "16"))
    assert first.poll() is None and code == 2 and "in use" in err
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=300)
    assert {r["eps"] for r in rows(out / "images.csv")} == {"8"}


# -- a study folder knows what it is ---------------------------------------------------------
def test_deleting_the_manifest_does_not_let_another_model_resume(setup, tmp_path) -> None:
    model, folder, out = setup
    assert run_cli(*study_args(folder, out, model))[0] == 0
    other = _model(tmp_path / "other.onnx", seed=5)
    code, _, err = run_cli(*study_args(folder, out, other, "--eps", "16"))
    assert code == 2 and "other settings" in err and "model_sha256" in err
    (out / "manifest.json").unlink()
    code, _, err = run_cli(*study_args(folder, out, other, "--eps", "16"))
    assert code == 2 and "other settings" in err and "model_sha256" in err
    (out / "study.json").write_text("{}")  # damaged or hand-edited too
    code, _, err = run_cli(*study_args(folder, out, other, "--eps", "16"))
    assert code == 2 and "rows of another study" in err
    assert {r["eps"] for r in rows(out / "images.csv")} == {"8"}
    # the same model resumes and rebuilds what was lost, adding eps 16
    code, stdout, err = run_cli(*study_args(folder, out, model, "--eps", "8", "16"))
    assert code == 0, err
    assert {r["eps"] for r in rows(out / "images.csv")} == {"8", "16"}
    assert json.loads((out / "manifest.json").read_text())["advgui"]


def test_images_added_or_swapped_before_a_resume_are_refused(setup) -> None:
    model, folder, out = setup
    assert run_cli(*study_args(folder, out, model))[0] == 0
    write_images(folder, ["n00000001_new.png"], seed=9)
    code, _, err = run_cli(*study_args(folder, out, model))
    assert code == 2 and "appeared in" in err and "n00000001_new.png" in err
    (folder / "n00000001_new.png").unlink()
    write_images(folder, ["n00000003_3.png"], seed=11)  # same name, other photo
    code, _, err = run_cli(*study_args(folder, out, model))
    assert code == 2 and "changed since" in err and "n00000003_3.png" in err


def test_wrong_labels_are_refused_with_file_and_line_and_fixed_labels_take_effect(setup) -> None:
    model, folder, out = setup
    names = sorted(p.name for p in folder.iterdir())
    labels = folder / "labels.csv"
    labels.write_text("file,class_index\n" + "".join(f"{n},{i % 10}\n" for i, n in
                                                      enumerate(names[:-1])) + f"{names[-1]},1000\n")
    code, _, err = run_cli(*study_args(folder, out, model))
    assert code == 2 and f"labels.csv, line {len(names) + 1}: class index 1000 is outside 0-9" in err
    assert not out.exists()  # nothing written
    labels.write_text("file,class_index\n" + "".join(f"{n},3\n" for n in names))
    assert run_cli(*study_args(folder, out, model))[0] == 0
    assert {r["truth"] for r in rows(out / "images.csv")} == {"3"}
    labels.write_text("file,class_index\n" + "".join(f"{n},{7 if n == names[0] else 3}\n"
                                                      for n in names))
    code, _, err = run_cli(*study_args(folder, out, model))
    assert code == 0 and "re-scored against the new labels" in err
    fixed = [r for r in rows(out / "images.csv") if r["file"] == names[0]]
    assert fixed and {r["truth"] for r in fixed} == {"7"}
    assert {r["top1_error_truth"] for r in fixed} == {str(int(r["adv_top1"] != "7")) for r in fixed}


# -- CSV that round-trips --------------------------------------------------------------------
HOSTILE = ["-x.png", "+x.png", "@x.png", "=x.png", "'quoted.png", "tab\tname.png",
           "cr\rname.png", "lf\nname.png", "ünï cødé, \"q\".png", "-1.png"]


def test_hostile_file_names_survive_write_resume_and_summary(tmp_path) -> None:
    model = _model(tmp_path / "tiny.onnx")
    folder = write_images(tmp_path / "imgs", HOSTILE)
    out = tmp_path / "out"
    code, _, err = run_cli(*study_args(folder, out, model))  # unlabelled: truth -1 everywhere
    assert code == 0, err
    written = rows(out / "images.csv")
    assert sorted({unescaped(r["file"]) for r in written}) == sorted(HOSTILE)
    assert {r["truth"] for r in written} == {"-1"}
    # a torn last line forces a repair rewrite; the resume must neither lose nor redo a row
    with open(out / "images.csv", "a", newline="") as fh:
        fh.write('"-x.png",-1,,hi')
    code, stdout, err = run_cli(*study_args(folder, out, model))
    assert code == 0, err
    assert "0 new rows this run" in stdout and "file not found" not in stdout + err
    assert "cut short" in err
    again = rows(out / "images.csv")
    assert [r["file"] for r in again] == [r["file"] for r in written]
    assert {r["truth"] for r in again} == {"-1"} and {r["status"] for r in again} == {"ok"}
    clean = rows(out / "clean.csv")
    assert sorted(unescaped(r["file"]) for r in clean) == sorted(HOSTILE)
    code, stdout, err = run_cli("summary", out)
    assert code == 0 and "all" in stdout, err


def test_summary_never_writes_and_a_hand_edit_drops_only_the_broken_row(setup) -> None:
    model, folder, out = setup
    assert run_cli(*study_args(folder, out, model))[0] == 0
    path = out / "images.csv"
    lines = path.read_bytes().split(b"\r\n")
    lines[3] = lines[3].replace(b",ok,", b",okay,")  # a hand edit breaks one row
    path.write_bytes(b"\r\n".join(lines) + b'"torn')
    before = path.read_bytes()
    code, stdout, err = run_cli("summary", out)
    assert code == 0 and "line 4" in err and "cut short" in err
    assert path.read_bytes() == before  # a read command
    code, stdout, err = run_cli(*study_args(folder, out, model))
    assert code == 0 and "1 broken or duplicate row" in err and "1 new rows this run" in stdout
    assert len(rows(path)) == 8 * 4


# -- outputs never become inputs, writes stay inside --out -------------------------------------
def test_a_study_inside_the_images_folder_is_never_read_as_photos(setup, tmp_path) -> None:
    model, folder, _ = setup
    assert run_cli(*study_args(folder, folder / "advgui-study", model))[0] == 0
    assert len(list((folder / "advgui-study" / "adversarial").glob("*.png"))) == 32
    out2 = tmp_path / "second"
    assert run_cli(*study_args(folder, out2, model))[0] == 0
    assert len(rows(out2 / "clean.csv")) == 8
    code, stdout, _ = run_cli("classify", folder, "--model", model, "--device", "cpu")
    assert "8 classified" in stdout and "adversarial" not in stdout


def test_links_planted_in_a_study_folder_are_never_written_through(setup, tmp_path) -> None:
    model, folder, out = setup
    assert run_cli(*study_args(folder, out, model))[0] == 0
    victim = tmp_path / "important.txt"
    victim.write_text("precious")
    for name in (".manifest.json.tmp", ".summary.csv.tmp", ".advgui-write-test"):
        (out / name).symlink_to(victim)
    (out / "summary.csv").unlink()
    (out / "summary.csv").symlink_to(victim)
    assert run_cli(*study_args(folder, out, model, "--eps", "8", "4"))[0] == 0
    assert victim.read_text() == "precious"
    assert not (out / "summary.csv").is_symlink()  # the link was replaced, not followed
    (out / "images.csv").rename(tmp_path / "rows.csv")
    (out / "images.csv").symlink_to(victim)
    code, _, err = run_cli(*study_args(folder, out, model, "--eps", "2"))
    assert code == 2 and "symbolic link" in err
    assert victim.read_text() == "precious"
    (out / "images.csv").unlink()
    (tmp_path / "rows.csv").rename(out / "images.csv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "adversarial").rename(tmp_path / "adv")
    (out / "adversarial").symlink_to(elsewhere)
    code, _, err = run_cli(*study_args(folder, out, model, "--eps", "2"))
    assert code == 2 and "not a plain folder" in err and not list(elsewhere.iterdir())


def test_an_unrelated_folder_is_refused_as_output(setup, tmp_path) -> None:
    model, folder, _ = setup
    mine = tmp_path / "mine"
    mine.mkdir()
    for name in ("summary.csv", "manifest.json", "thesis.tex"):
        (mine / name).write_text(f"my own {name}")
    code, _, err = run_cli(*study_args(folder, mine, model))
    assert code == 2 and "holds other files" in err and "choose an empty folder" in err
    assert sorted(p.name for p in mine.iterdir()) == ["manifest.json", "summary.csv", "thesis.tex"]
    assert all((mine / n).read_text() == f"my own {n}" for n in ("summary.csv", "manifest.json"))
    (mine / "thesis.tex").unlink()  # only files named like a study's: still not a study
    code, _, err = run_cli(*study_args(folder, mine, model))
    assert code == 2 and "holds other files (manifest.json, summary.csv)" in err
    assert all((mine / n).read_text() == f"my own {n}" for n in ("summary.csv", "manifest.json"))


# -- bounded memory, deep trees ----------------------------------------------------------------
def test_a_thin_image_is_refused_in_bounded_memory(tmp_path) -> None:
    model = _model(tmp_path / "tiny.onnx")
    folder = tmp_path / "thin"
    folder.mkdir()
    Image.new("RGB", (1, 120_000), (200, 10, 10)).save(folder / "strip.png")
    # thin, but within the budget at the tiny model's input size (16 x 320,000 px)
    Image.new("RGB", (1, 20_000), (10, 200, 10)).save(folder / "strip2.png")
    write_images(folder, ["n00000001_ok.png"])
    code, stdout, err = run_cli("classify", folder, "--model", model, "--device", "cpu", limit_gb=4)
    assert code == 1, err  # one skipped, two classified, no MemoryError
    assert "strip.png: skipped: image is 1x120000" in stdout and "MP limit" in stdout
    assert "strip2.png: skipped:" not in stdout and "2 classified" in stdout


def test_a_very_deep_folder_tree_is_listed(tmp_path) -> None:
    model = _model(tmp_path / "tiny.onnx")
    deep = tmp_path / "deep"
    levels = [deep]
    deep.mkdir()
    for _ in range(1100):  # os.makedirs itself recurses too deep for this
        levels.append(levels[-1] / "d")
        levels[-1].mkdir()
    write_images(levels[-1], ["n00000002_deep.png"])
    try:
        code, stdout, err = run_cli("classify", deep, "--model", model, "--device", "cpu")
        assert code == 0 and "1 classified" in stdout, err
    finally:  # pytest's own clean-up (shutil.rmtree) recurses and would fail on this tree
        (levels[-1] / "n00000002_deep.png").unlink()
        for level in reversed(levels):
            level.rmdir()


# -- parameters and models: one clear line, exit 2, nothing written ------------------------------
@pytest.mark.parametrize("args, message", [
    (["--batch", "0"], "--batch must be at least 1"),
    (["--batch", "-1"], "--batch must be at least 1"),
    (["--per-tier", "0"], "--per-tier must be at least 1"),
    (["--eps", "0"], "eps must be in (0, 255]"),
    (["--eps", "nan"], "eps must be in (0, 255]"),
    (["--mean", "nan", "1", "1", "--std", "1", "1", "1", "--size", "32"], "finite"),
    (["--high", "0.1", "--medium", "0.2"], "tier thresholds must satisfy"),
])
def test_bad_parameters_say_so_and_write_nothing(setup, args, message) -> None:
    model, folder, out = setup
    code, _, err = run_cli(*study_args(folder, out, model), *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert not out.exists()


def test_repeated_eps_targets_and_methods_are_merged(setup) -> None:
    model, folder, out = setup
    code, _, err = run_cli(*study_args(folder, out, model, "--eps", "8", "8.0", "--targets", "inverse",
                              "inverse", "--methods", "fast", "fast"))
    assert code == 0, err
    assert len(rows(out / "images.csv")) == 8
    code, stdout, _ = run_cli(*study_args(folder, out, model, "--eps", "8.0000001", "--targets", "inverse",
                                 "--methods", "fast"))
    assert code == 0 and "0 new rows this run" in stdout
    assert len(rows(out / "images.csv")) == 8


def _uint8_model(path: Path) -> Path:
    model = tiny_classifier_model()
    model.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.UINT8
    cast = helper.make_node("Cast", ["x"], ["x_float"], to=onnx.TensorProto.FLOAT)
    for node in model.graph.node:
        node.input[:] = ["x_float" if i == "x" else i for i in node.input]
    model.graph.node.insert(0, cast)
    onnx.save(model, path)
    return path


def test_unusable_models_and_truths_are_one_clear_line(setup, tmp_path) -> None:
    model, folder, out = setup
    image = next(folder.iterdir())
    code, _, err = run_cli(*study_args(folder, out, _uint8_model(tmp_path / "u8.onnx")))
    assert code == 2 and "is uint8" in err and "Traceback" not in err
    big = tiny_classifier_model()
    for prop in big.metadata_props:
        if prop.key == "advgui.input_size":
            prop.value = "40000"
    onnx.save(big, tmp_path / "big.onnx")
    code, _, err = run_cli(*study_args(folder, out, tmp_path / "big.onnx"))
    assert code == 2 and "input size 40000 px is outside" in err
    code, _, err = run_cli("attack", image, "--out", tmp_path / "a.png", "--model", model,
                       "--device", "cpu", "--target", "true", "--truth", "1000")
    assert code == 2 and "--truth 1000 is outside 0-9" in err
    assert not out.exists()


def test_a_row_edited_to_another_eps_is_left_out_and_attacked_again(tmp_path, capsys) -> None:
    """One row's eps edited from 8 to 9 by hand: a resume attacked eps 8 again, kept the eps-9
    row (made from an eps-8 PNG) without a word, and the summary printed an 'eps 9' table."""
    import csv as _csv  # noqa: PLC0415

    from advgui.cli.main import main  # noqa: PLC0415
    from tests.helpers.study import model_and_images, study_args  # noqa: PLC0415

    model, folder, out = model_and_images(tmp_path)
    args = [str(a) for a in study_args(folder, out, model, "--methods", "fast", "--targets",
                                       "least-likely", "--eps", "8")]
    assert main(args) == 0
    path = out / "images.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(_csv.DictReader(fh))
    before = len(rows)
    edited = next(r for r in rows if r["status"] == "ok")
    edited["eps"] = "9"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = _csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    capsys.readouterr()
    assert main(args) == 0
    text = capsys.readouterr()
    assert "another attack than its PNG" in text.out + text.err
    assert "Traceback" not in text.err
    with open(path, newline="", encoding="utf-8") as fh:
        after = list(_csv.DictReader(fh))
    assert len(after) == before and {r["eps"] for r in after} == {"8"}
    assert any(r["file"] == edited["file"] for r in after)
    assert main(["summary", str(out)]) == 0
    assert "eps 9" not in capsys.readouterr().out
