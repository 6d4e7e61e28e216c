"""Issue 14: shards of one study, run as separate processes, merge into exactly the rows of the
unsharded run (also after a shard was killed and resumed); merge refuses what is not one whole
study; the shard assignment is stable; the dry run counts the work; the Ray runner agrees."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from advgui.core.records.shards import Shard, shard_of
from tests.helpers.cli import STUDY_OPTIONS, cli, rows
from tests.helpers.models import SIZE, tiny_model_file

IMAGES = 12


@pytest.fixture
def setup(tmp_path) -> tuple[Path, Path]:
    tiny_model_file(tmp_path / "tiny.onnx")
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for i in range(IMAGES):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / f"n{i % 10:08d}_{i}.png")
    return tmp_path / "tiny.onnx", folder


def whole_and_classified(setup, tmp_path) -> tuple[Path, Path, Path, Path]:
    model, folder = setup
    whole, classified = tmp_path / "whole", tmp_path / "classified"
    cli("study", folder, "--out", whole, "--model", model)
    cli("study", folder, "--out", classified, "--model", model, "--classify-only")
    return model, folder, whole, classified


def assert_same_study(merged: Path, whole: Path) -> None:
    for name in ("images.csv", "clean.csv", "summary.csv", "fragility.csv"):
        assert rows(merged / name) == rows(whole / name), name
    for r in rows(merged / "images.csv"):
        if r["adversarial_png"]:
            assert (merged / r["adversarial_png"]).read_bytes() == \
                (whole / r["adversarial_png"]).read_bytes()
    manifest = json.loads((merged / "manifest.json").read_text())
    assert [p["shard"] for p in manifest["merged_from"]] == sorted(
        p["shard"] for p in manifest["merged_from"])
    assert manifest["rows"] == len(rows(whole / "images.csv"))


def test_shard_assignment_is_stable_and_disjoint() -> None:
    files = [f"images/{i:05d}.JPEG" for i in range(3000)]
    for n in (1, 2, 3, 8):
        parts = [Shard(k, n) for k in range(1, n + 1)]
        owners = [[p.holds(f) for p in parts].count(True) for f in files]
        assert owners == [1] * len(files)  # every file in exactly one shard
        sizes = [sum(p.holds(f) for f in files) for p in parts]
        assert min(sizes) > 0.8 * len(files) / n  # roughly even
    assert shard_of("images/00001.JPEG", 8) == shard_of("images/00001.JPEG", 8)
    assert [shard_of(f, 4) for f in files[:6]] == [shard_of(f, 4) for f in files[:6]]
    for bad in ("0/3", "4/3", "3", "a/b", "1/0"):
        with pytest.raises(ValueError, match="--shard"):
            Shard.parse(bad)


@pytest.mark.parametrize("n", [2, 3])
def test_shards_in_separate_processes_merge_into_the_unsharded_rows(setup, tmp_path, n) -> None:
    model, folder, whole, classified = whole_and_classified(setup, tmp_path)
    parts = [tmp_path / f"part{k}" for k in range(1, n + 1)]
    procs = [cli("study", folder, "--out", p, "--model", model, "--shard", f"{k}/{n}",
                 "--clean-from", classified, wait=False) for k, p in enumerate(parts, 1)]
    for proc in procs:  # all N at once, as a job array runs them
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    shard_rows = [rows(p / "images.csv") if (p / "images.csv").exists() else [] for p in parts]
    assert sum(map(len, shard_rows)) == len(rows(whole / "images.csv"))
    for k, part_rows in enumerate(shard_rows, 1):
        assert all(shard_of(r["file"], n) == k for r in part_rows)
        # the classification was not repeated: each shard's clean.csv is the classify-only one
        assert rows(parts[k - 1] / "clean.csv") == rows(classified / "clean.csv")
    merged = tmp_path / "merged"
    done = cli("merge", *parts, "--out", merged)
    assert "merged" in done.stdout
    assert_same_study(merged, whole)
    summary = cli("summary", merged)  # read like any other study
    assert summary.stdout == cli("summary", whole).stdout


def test_a_killed_shard_resumes_and_the_merge_is_still_exact(setup, tmp_path) -> None:
    model, folder = setup
    whole, classified = tmp_path / "whole", tmp_path / "classified"
    cli("study", folder, "--out", whole, "--model", model, steps=400)
    cli("study", folder, "--out", classified, "--model", model, "--classify-only", steps=400)
    parts = [tmp_path / f"part{k}" for k in (1, 2, 3)]
    victim = max(range(3), key=lambda k: sum(shard_of(r["file"], 3) == k + 1
                                              for r in rows(whole / "images.csv")))
    for k in sorted(range(3), key=lambda k: k == victim):  # the victim last: the others finished
        part = parts[k]
        args = ("study", folder, "--out", part, "--model", model, "--shard", f"{k + 1}/3",
                "--clean-from", classified)
        if k != victim:
            cli(*args, steps=400)
            continue
        proc = cli(*args, steps=400, wait=False)
        end = time.time() + 120
        while time.time() < end and proc.poll() is None:
            if (part / "images.csv").exists() and len(rows(part / "images.csv")) >= 1:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        refused = cli("merge", *parts, "--out", tmp_path / "early", check=False)
        assert refused.returncode == 2 and f"shard {k + 1}/3" in refused.stderr
        cli(*args, steps=400)  # resumes
    merged = tmp_path / "merged"
    cli("merge", *parts, "--out", merged)
    assert_same_study(merged, whole)


def test_merge_refuses_what_is_not_one_whole_study(setup, tmp_path) -> None:
    model, folder, whole, classified = whole_and_classified(setup, tmp_path)
    p1, p2, p3 = (tmp_path / f"p{k}" for k in (1, 2, 3))
    for k, p in ((1, p1), (2, p2)):
        cli("study", folder, "--out", p, "--model", model, "--shard", f"{k}/2",
            "--clean-from", classified)
    cli("study", folder, "--out", p3, "--model", model, "--shard", "2/2", "--clean-from",
        classified)
    missing = cli("merge", p1, "--out", tmp_path / "m1", check=False)
    assert missing.returncode == 2 and "shard 2/2 is missing" in missing.stderr
    twice = cli("merge", p1, p2, p3, "--out", tmp_path / "m2", check=False)
    assert twice.returncode == 2 and "are both shard 2/2" in twice.stderr
    other = tmp_path / "other"  # another study: another seed
    cli("study", folder, "--out", other, "--model", model, "--shard", "2/2", *STUDY_OPTIONS[:-4],
        "--seed", "9", "--per-tier", "3", "--steps", "12", options=False)
    foreign = cli("merge", p1, other, "--out", tmp_path / "m3", check=False)
    assert foreign.returncode == 2 and "another study" in foreign.stderr and "seed" in foreign.stderr
    whole_part = cli("merge", p1, whole, "--out", tmp_path / "m4", check=False)
    assert whole_part.returncode == 2 and "not a part" in whole_part.stderr
    for m in ("m1", "m2", "m3", "m4"):
        assert not (tmp_path / m / "images.csv").exists()  # nothing written on a refusal
    # a shard folder is resumed as that shard only
    wrong = cli("study", folder, "--out", p1, "--model", model, "--shard", "2/2", check=False)
    assert wrong.returncode == 2 and "holds shard 1/2" in wrong.stderr
    # and a merge never overwrites a study's own rows; it may redo an earlier merge of it
    cli("merge", p1, p2, "--out", tmp_path / "good")
    cli("merge", p1, p2, "--out", tmp_path / "good")
    over = cli("merge", p1, p2, "--out", whole, check=False)
    assert over.returncode == 2 and "not an earlier merge" in over.stderr
    into_other = cli("merge", p1, p2, "--out", other, check=False)
    assert into_other.returncode == 2 and "another study" in into_other.stderr


def test_dry_run_counts_the_work_and_writes_nothing(setup, tmp_path) -> None:
    model, folder = setup
    out = tmp_path / "dry"
    done = cli("study", folder, "--out", out, "--model", model, "--dry-run")
    assert not out.exists()
    text = done.stdout
    assert "classify" in text and f"{IMAGES:>12,}" in text
    # at most 3 per tier -> 9 images, 4 targets-x-eps... : iterative 12 steps per image and target
    assert "iterative eps 8" in text and "fast eps 4" in text
    assert "NVIDIA A100" in text and "estimate" in text and "measured now" in text


def test_the_ray_runner_gives_the_same_rows(setup, tmp_path) -> None:
    pytest.importorskip("ray")
    model, folder = setup
    # the command line's own preprocessing must reach the tasks (it once did not)
    own = ["--size", "16", "--mean", "100", "100", "100", "--std", "50", "50", "50"]
    whole = tmp_path / "whole"
    cli("study", folder, "--out", whole, "--model", model, *own)
    out = tmp_path / "ray"
    done = cli("study", folder, "--out", out, "--model", model, "--ray", "--shards", "2", *own)
    assert "2 shards merged" in done.stdout
    assert_same_study(out, whole)
    again = cli("study", folder, "--out", out, "--model", model, "--ray", "--shards", "2", *own)
    assert "2 shards merged" in again.stdout  # a rerun resumes every part: nothing left to do
    assert_same_study(out, whole)
    bad = cli("study", folder, "--out", tmp_path / "r2", "--model", model, "--ray",
              "--shards", "0", check=False)
    assert bad.returncode == 2 and "--shards must be 1 or more" in bad.stderr


def test_ctrl_c_stops_the_ray_tasks_keeps_their_rows_and_a_rerun_resumes(setup, tmp_path) -> None:
    pytest.importorskip("ray")
    model, folder = setup
    whole = tmp_path / "whole"
    cli("study", folder, "--out", whole, "--model", model, steps=1500)
    out = tmp_path / "ray"
    proc = cli("study", folder, "--out", out, "--model", model, "--ray", "--shards", "2",
               steps=1500, wait=False)
    parts = [Path(f"{out}.shards") / f"shard-{k}-of-2" for k in (1, 2)]
    end = time.time() + 180
    while time.time() < end and proc.poll() is None:
        if any((p / "images.csv").exists() and rows(p / "images.csv") for p in parts):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err
    kept = sum(len(rows(p / "images.csv")) for p in parts if (p / "images.csv").exists())
    assert 0 < kept < len(rows(whole / "images.csv"))
    assert not (out / "images.csv").exists()  # no merge of an unfinished study
    cli("study", folder, "--out", out, "--model", model, "--ray", "--shards", "2", steps=1500)
    assert_same_study(out, whole)


def test_review_refusals_write_nothing_and_say_what_is_wrong(setup, tmp_path) -> None:
    """Hostile review of issue 14: refusals after checks that came too late, or with the
    wrong words."""
    model, folder, whole, classified = whole_and_classified(setup, tmp_path)
    parts = [tmp_path / f"p{k}" for k in (1, 2)]
    for k, p in enumerate(parts, 1):
        cli("study", folder, "--out", p, "--model", model, "--shard", f"{k}/2",
            "--clean-from", classified)
    twice = cli("merge", parts[0], parts[0], parts[1], "--out", tmp_path / "t", check=False)
    assert twice.returncode == 2 and "given twice" in twice.stderr
    # a PNG gone from a part: refused before anything is written
    victim = next(r for r in rows(parts[1] / "images.csv") if r["adversarial_png"])
    png = parts[1] / victim["adversarial_png"]
    data = png.read_bytes()
    png.unlink()
    gone = cli("merge", *parts, "--out", tmp_path / "m", check=False)
    assert gone.returncode == 2 and "missing" in gone.stderr and not (tmp_path / "m").exists()
    png.write_bytes(data)
    # a merge that stopped half-way (its manifest says so) is completed by the same merge
    half = tmp_path / "half"
    cli("merge", *parts, "--out", half)
    manifest = json.loads((half / "manifest.json").read_text())
    (half / "manifest.json").write_text(json.dumps(dict(manifest, merging=True, finished=None)))
    assert "did not finish" in cli("summary", half).stderr
    (half / "images.csv").unlink()
    cli("merge", *parts, "--out", half)
    assert_same_study(half, whole)
    # a refused --clean-from leaves a new output folder empty
    fresh = tmp_path / "fresh"
    other = tmp_path / "other-classified"
    # (another classification: other tier thresholds; a seed or per-tier count of its own would
    # not make one, since they choose the sample, not the verdicts)
    cli("study", folder, "--out", other, "--model", model, "--classify-only", *STUDY_OPTIONS[:-8],
        "--high", "0.3", "--medium", "0.12", "--seed", "9", "--per-tier", "3", "--steps", "12",
        options=False)
    refused = cli("study", folder, "--out", fresh, "--model", model, "--shard", "1/2",
                  "--clean-from", other, check=False)
    assert refused.returncode == 2 and "classification of another study" in refused.stderr
    assert "high" in refused.stderr
    assert not fresh.exists()  # issue 25: not even the lock file of the refused run
    assert cli("study", folder, "--out", fresh, "--model", model, "--shards", "2",
               check=False).stderr.count("--shards goes with --ray") == 1
