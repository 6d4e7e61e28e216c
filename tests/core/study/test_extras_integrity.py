"""Issue 22: the extras (transfer, destroy), their catch-up and the refusals around them keep the
single study's promises: every extra keyed by what it is, class lists compared, every check
before the first write, and every refusal one line naming the file, what was kept and what to
do. Real processes (tests/helpers/cli.py), as a user runs them."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import onnx
import pytest
from onnx import helper

from advgui.core.model.classes import ClassList
from advgui.core.model.transforms import Transform
from tests.helpers.cli import cli, rows
from tests.helpers.models import tiny_classifier_model, tiny_model_file
from tests.helpers.study import two_models_and_images


def _refused(done, *words: str) -> str:
    """The one line a refusal prints (exit 2, no traceback), holding each of words."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = [x for x in done.stderr.splitlines() if x.strip() and not x.startswith("model: ")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "Errno" not in lines[0], lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def _model_with_classes(path, ids, seed=0, names=None):
    model = tiny_classifier_model(seed=seed, classes=len(ids))
    classes = ClassList(tuple(ids), tuple(names or ids))
    for k, v in classes.to_metadata().items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, path)
    return path


def _bytes(path):
    return path.read_bytes() if path.exists() else None


# -- 3: a transfer model is its hash, not its file name ------------------------------------------
def test_two_transfer_models_of_one_name_are_refused_and_a_resume_with_another_hash_too(tmp_path):
    model, _, folder = two_models_and_images(tmp_path)
    a = tiny_model_file((tmp_path / "a").mkdir() or tmp_path / "a" / "other.onnx", seed=11)
    b = tiny_model_file((tmp_path / "b").mkdir() or tmp_path / "b" / "other.onnx", seed=12)
    fresh = tmp_path / "fresh"
    done = cli("study", folder, "--out", fresh, "--model", model, "--transfer-to", a, b,
               check=False)
    _refused(done, str(b), "other")
    assert not fresh.exists()

    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, "--transfer-to", a, steps=2)
    before = {n: _bytes(out / n) for n in ("transfer.csv", "manifest.json", "images.csv")}
    done = cli("study", folder, "--out", out, "--model", model, "--transfer-to", b, steps=2,
               check=False)
    line = _refused(done, "transfer.csv", str(b))
    recorded = {r["model_sha256"] for r in rows(out / "transfer.csv")}
    assert len(recorded) == 1 and next(iter(recorded)) in line
    assert {n: _bytes(out / n) for n in before} == before


# -- 5: class lists compared, truth mapped by meaning ---------------------------------------------
def test_a_transfer_model_with_other_classes_is_mapped_by_wnid_or_refused(tmp_path):
    model, _, folder = two_models_and_images(tmp_path)
    # 1,000 classes in reverse order: the study's class i is the transfer model's 999 - i
    ids = [f"n{999 - i:08d}" for i in range(1000)]
    big = _model_with_classes(tmp_path / "big.onnx", ids, seed=5)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, "--transfer-to", big, steps=2)
    images = {(r["file"], r["method"], r["target"], r["eps"]): r for r in rows(out / "images.csv")}
    transfer = rows(out / "transfer.csv")
    assert len(transfer) == len(images)
    for t in transfer:
        r = images[(t["file"], t["method"], t["target"], t["eps"])]
        assert ids[int(t["truth"])] == f"n{int(r['truth']):08d}"  # the same class by meaning
        assert t["clean_correct"] == str(int(t["clean_top1"] == t["truth"]))
        assert t["top1_error_truth"] == str(int(t["adv_top1"] != t["truth"]))

    other = _model_with_classes(tmp_path / "foreign.onnx", [f"x{i}" for i in range(10)], seed=6)
    fresh = tmp_path / "fresh"
    done = cli("study", folder, "--out", fresh, "--model", model, "--transfer-to", other,
               check=False)
    _refused(done, str(other), "class")
    assert not fresh.exists()


# -- 8: every check before the first write ---------------------------------------------------------
def test_a_broken_transfer_model_or_transformation_leaves_a_finished_study_and_a_new_folder_alone(
        tmp_path):
    model, _, folder = two_models_and_images(tmp_path)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model at all")
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, steps=2)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    done = cli("study", folder, "--out", out, "--model", model, "--transfer-to", broken, steps=2,
               check=False)
    _refused(done, str(broken))
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    for extra in (["--transfer-to", broken], ["--destroy", "sharpen:2"]):
        fresh = tmp_path / "fresh"
        done = cli("study", folder, "--out", fresh, "--model", model, *extra, check=False)
        assert done.returncode == 2 and not fresh.exists(), done.stderr


# -- 9: the catch-up says which rows it could not score ------------------------------------------
def test_the_catch_up_names_the_rows_it_could_not_score_and_a_resume_notices_a_lost_png(tmp_path):
    model, other, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, steps=2)
    images = [r for r in rows(out / "images.csv") if r["status"] == "ok"]
    gone, damaged = images[0]["adversarial_png"], images[1]["adversarial_png"]
    (out / gone).unlink()
    (out / damaged).write_bytes(b"not a png")
    done = cli("study", folder, "--out", out, "--model", model, steps=2)
    assert gone in done.stderr  # a plain resume notices the missing PNG
    done = cli("study", folder, "--out", out, "--model", model, "--transfer-to", other,
               "--destroy", "jpeg:50", steps=2)
    notes = [x for x in done.stderr.splitlines() if x.startswith("note:") and "not scored" in x]
    assert len(notes) == 2, done.stderr  # one for transfer, one for destroy
    for note in notes:
        assert "2 of" in note and gone in note and damaged in note
    assert len(rows(out / "transfer.csv")) == len(images) - 2
    assert len(rows(out / "destroy.csv")) == len(images) - 2


def test_the_catch_up_does_not_score_pngs_whose_bytes_were_swapped(tmp_path):
    """Two valid PNGs whose bytes were swapped read as images: their rows' adversarial_sha256
    says they are not the PNGs the study wrote, so the catch-up names them, unscored."""
    model, other, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, steps=2)
    images = [r for r in rows(out / "images.csv") if r["status"] == "ok"]
    a, b = out / images[0]["adversarial_png"], out / images[1]["adversarial_png"]
    data_a, data_b = a.read_bytes(), b.read_bytes()
    assert data_a != data_b
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    done = cli("study", folder, "--out", out, "--model", model, "--destroy", "jpeg:50", steps=2)
    notes = [x for x in done.stderr.splitlines() if x.startswith("note:") and "not scored" in x]
    assert len(notes) == 1 and "2 of" in notes[0] and a.name in notes[0] and b.name in notes[0], \
        done.stderr
    assert len(rows(out / "destroy.csv")) == len(images) - 2


# -- 10 and 15: transformations parsed as typed, in range ------------------------------------------
def test_transformations_are_refused_out_of_range_and_echoed_as_typed(tmp_path):
    for bad in ("brightness:+32600", "brightness:+99999", "brightness:-256", "contrast:11",
                "blur:51", "jpeg:75.5", "jpeg:0"):
        with pytest.raises(ValueError, match="--destroy") as info:
            Transform.parse(bad)
        assert bad in str(info.value)
    with pytest.raises(ValueError, match="contrast:1000000"):
        Transform.parse("contrast:1000000")
    pixels = np.full((4, 4, 3), 200, np.uint8)
    assert (Transform.parse("brightness:+255").apply(pixels) == 255).all()
    assert (Transform.parse("brightness:-255").apply(pixels) == 0).all()
    assert (Transform("brightness", 32600).apply(pixels) == 255).all()  # int32, no wrap-around

    model, _, folder = two_models_and_images(tmp_path)
    for typed in ("brightness:+32600", "contrast:1000000", "jpeg:75.5"):
        fresh = tmp_path / "fresh"
        done = cli("study", folder, "--out", fresh, "--model", model, "--destroy", typed,
                   check=False)
        _refused(done, typed)
        assert not fresh.exists()


# -- 13: a damaged clean.csv is named, never rewritten ---------------------------------------------
@pytest.mark.parametrize("edit, words", [
    (lambda row: row.replace(",ok,", ",ultra-ok,", 1), ("status",)),
    ("tier", ("ultra",)),
    ("outside", ("outside",)),
])
def test_a_damaged_clean_csv_row_is_named_and_clean_csv_is_kept(tmp_path, edit, words):
    model, _, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model, steps=2)
    clean = out / "clean.csv"
    lines = clean.read_text(encoding="utf-8").splitlines(keepends=True)
    row = next(x for x in lines[1:] if ",ok," in x)
    if edit == "tier":
        for tier in ("high", "medium", "low"):
            row2 = row.replace(f",{tier},", ",ultra,", 1)
            if row2 != row:
                break
    elif edit == "outside":
        row2 = "../outside.png" + row[row.index(","):]
    else:
        row2 = edit(row)
    number = lines.index(row) + 1
    lines[number - 1] = row2
    clean.write_text("".join(lines), encoding="utf-8")
    before = clean.read_bytes()
    done = cli("study", folder, "--out", out, "--model", model, steps=2, check=False)
    line = _refused(done, "clean.csv", f"line {number}", *words)
    assert "appeared" not in line and "subpath" not in line
    assert clean.read_bytes() == before


# -- 15: --dry-run refuses what the real run refuses ----------------------------------------------
def test_a_dry_run_refuses_what_the_study_refuses(tmp_path):
    model, _, folder = two_models_and_images(tmp_path)
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    not_model = tmp_path / "notes.txt"
    not_model.write_text("hello")
    for args, word in (
            ([tmp_path / "missing", "--out", tmp_path / "o1"], "missing"),
            ([folder, "--out", a_file], "a_file"),
            ([folder, "--out", tmp_path / "o2", "--clean-from", tmp_path / "nowhere"], "nowhere"),
            ([folder, "--out", tmp_path / "o3", "--transfer-to", not_model], "notes.txt"),
            ([folder, "--out", tmp_path / "o4", "--destroy", "jpeg:75.5"], "jpeg:75.5")):
        done = cli("study", *args, "--model", model, "--dry-run", check=False)
        _refused(done, word)
        assert done.stdout == ""


# -- 16: no raw errno texts ------------------------------------------------------------------------
def test_a_dangling_out_link_is_named(tmp_path):
    model, _, folder = two_models_and_images(tmp_path)
    link = tmp_path / "out"
    os.symlink(tmp_path / "nowhere", link)
    done = cli("study", folder, "--out", link, "--model", model, check=False)
    _refused(done, str(link), "link")


def test_attack_checks_the_output_folder_before_attacking(tmp_path):
    model, _, folder = two_models_and_images(tmp_path)
    image = next(folder.iterdir())
    target = tmp_path / "missing" / "dir" / "a.png"
    done = cli("attack", image, "--model", model, "--device", "cpu", "--out", target,
               check=False)
    line = _refused(done, str(target.parent))
    assert ".tmp" not in line and "target:" not in done.stdout


@pytest.mark.parametrize("kind", ["null", "folder", "fifo"])
def test_a_truth_that_is_not_a_file_says_what_it_is(tmp_path, kind):
    model, _, folder = two_models_and_images(tmp_path)
    if kind == "null":
        truth, word = "/dev/null", "device"
    elif kind == "folder":
        truth, word = tmp_path, "folder"
    else:
        truth, word = tmp_path / "fifo", "FIFO"
        os.mkfifo(truth)
    done = cli("study", folder, "--out", tmp_path / "o", "--model", model, "--truth", truth,
               check=False)
    line = _refused(done, str(truth), word)
    assert "not found" not in line


def test_a_model_with_several_outputs_says_which_is_used(tmp_path):
    model, _, folder = two_models_and_images(tmp_path)
    m = onnx.load(model)
    logits = m.graph.output[0]
    extra = helper.make_node("Relu", [logits.name], ["features"])
    m.graph.node.append(extra)
    m.graph.output.insert(0, helper.make_tensor_value_info("features", onnx.TensorProto.FLOAT,
                                                           ["N", 10]))
    two = tmp_path / "two.onnx"
    onnx.save(m, two)
    done = cli("study", folder, "--out", tmp_path / "o", "--model", two, "--classify-only")
    assert "features" in done.stderr and "output" in done.stderr


@pytest.mark.parametrize("pages_left", [0, 1])
def test_a_full_disk_at_the_catch_up_says_what_was_kept(tmp_path, pages_left):
    """A real 2 MB tmpfs (needs root; skipped elsewhere) filled to a page or none before a
    resume adds a transfer model: one line, no errno text, saying what is kept."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small file system needs root")
    model, other, folder = two_models_and_images(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("mount is not permitted here")
    try:
        out = disk / "out"
        cli("study", folder, "--out", out, "--model", model, steps=2)
        kept = (out / "images.csv").read_bytes()
        st = os.statvfs(disk)
        (disk / "filler").write_bytes(b"\0" * (st.f_bavail * st.f_frsize - pages_left * 4096))
        done = cli("study", folder, "--out", out, "--model", model, "--transfer-to", other,
                   steps=2, check=False)
        _refused(done, str(out), "disk is full", "kept", "run the same study again")
        assert (out / "images.csv").read_bytes() == kept
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
