"""Issue 22: merge and the Ray runner keep the promises of a single study. merge reads nothing
outside the parts (no links, no cell path leaving adversarial/, no PNG under another row's name),
checks every row against clean.csv and the study id, refuses shards run with other extras or
other labels and a classification of another folder; a second Ctrl-C aborts in one line; --ray
works only in a shards folder it made and never waits for ever on an address. Every refusal is
one line, exit 2, and comes before the first write."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.cli import cli, rows
from tests.helpers.models import SIZE, tiny_model_file

IMAGES = 12
DESTROY = ["--destroy", "jpeg:75"]


def _images(folder: Path, count: int, seed: int = 5) -> None:
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            folder / f"n{i % 10:08d}_{i}.png")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """A classification and the two finished shards of one study (with destroy.csv)."""
    root = tmp_path_factory.mktemp("merge22")
    tiny_model_file(root / "tiny.onnx")
    _images(root / "imgs", IMAGES)
    model, folder, classified = root / "tiny.onnx", root / "imgs", root / "classified"
    cli("study", folder, "--out", classified, "--model", model, "--classify-only")
    parts = [root / f"p{k}" for k in (1, 2)]
    for k, p in enumerate(parts, 1):
        cli("study", folder, "--out", p, "--model", model, "--shard", f"{k}/2",
            "--clean-from", classified, *DESTROY)
    return {"root": root, "model": model, "folder": folder, "classified": classified,
            "parts": parts}


def copies(base: dict, tmp_path: Path) -> list[Path]:
    out = []
    for p in base["parts"]:
        shutil.copytree(p, tmp_path / p.name, symlinks=True)
        out.append(tmp_path / p.name)
    return out


def edit(path: Path, change) -> None:
    """Rewrite a CSV as a hand edit would: change(rows) edits the rows (a list of dicts)."""
    table = rows(path)
    columns = list(table[0])
    change(table)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, columns, lineterminator="\r\n")
        w.writeheader()
        w.writerows(table)


def refused(*args, out: Path) -> str:
    """The merge is refused in one line, exit 2, and OUT was never created."""
    done = cli("merge", *args, "--out", out, check=False)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert not out.exists(), sorted(p.name for p in out.iterdir())
    return lines[0]


def attacked(part: Path) -> list[dict]:
    return [r for r in rows(part / "images.csv") if r["adversarial_png"]]


def test_merge_copies_nothing_from_outside_the_parts(base, tmp_path) -> None:
    secret = tmp_path / "outside_secret.txt"
    secret.write_text("secret")
    # a PNG replaced by a link to an outside file
    p1, p2 = copies(base, tmp_path / "a")
    png = p2 / attacked(p2)[0]["adversarial_png"]
    png.unlink()
    png.symlink_to(secret)
    msg = refused(p1, p2, out=tmp_path / "m1")
    assert png.name in msg and "link" in msg
    # a row's adversarial_png edited to a path outside the part (absolute or climbing out)
    for k, cell in enumerate(("/etc/hostname", "../../outside_secret.txt",
                              "adversarial/../../outside_secret.txt")):
        p1, p2 = copies(base, tmp_path / f"b{k}")
        edit(p2 / "images.csv", lambda t, c=cell: t[0].update(adversarial_png=c))
        msg = refused(p1, p2, out=tmp_path / f"m2{k}")
        assert "images.csv" in msg and "line 2" in msg and cell in msg
    # a row naming another row's PNG
    p1, p2 = copies(base, tmp_path / "c")
    other = attacked(p2)[1]["adversarial_png"]
    edit(p2 / "images.csv", lambda t: t[0].update(adversarial_png=other))
    msg = refused(p1, p2, out=tmp_path / "m3")
    assert "images.csv" in msg and "line 2" in msg and "another" in msg
    # images.csv, and the adversarial/ folder, read through a link
    # (features.npz: was read through the link, its vectors merged as the part's own)
    for k, name in enumerate(("images.csv", "adversarial", "clean.csv", "destroy.csv",
                              "features.npz")):
        p1, p2 = copies(base, tmp_path / f"d{k}")
        moved = tmp_path / f"d{k}" / f"elsewhere-{name}"
        (p2 / name).rename(moved)
        (p2 / name).symlink_to(moved)
        msg = refused(p1, p2, out=tmp_path / f"m4{k}")
        assert name in msg and "link" in msg
    # a hard link to an outside file in place of a PNG
    p1, p2 = copies(base, tmp_path / "e")
    png = p2 / attacked(p2)[0]["adversarial_png"]
    outside = tmp_path / "outside.png"
    shutil.copy(png, outside)
    png.unlink()
    os.link(outside, png)
    msg = refused(p1, p2, out=tmp_path / "m5")
    assert png.name in msg and "hard link" in msg


def test_merge_refuses_a_part_file_hard_linked_to_one_outside(base, tmp_path) -> None:
    """A features.npz with another name outside the part (a hard link) was only left out of the
    merge, without a word, where a symbolic link there was refused: it is refused as one, and so
    is a hard link at the part's CSVs."""
    for k, name in enumerate(("features.npz", "images.csv", "clean.csv", "destroy.csv")):
        p1, p2 = copies(base, tmp_path / f"h{k}")
        assert (p2 / name).is_file()
        outside = tmp_path / f"h{k}" / f"elsewhere-{name}"
        (p2 / name).rename(outside)
        os.link(outside, p2 / name)
        msg = refused(p1, p2, out=tmp_path / f"m{k}")
        assert f"{p2 / name}: it has another name too (a hard link)" in msg, msg
        assert "outside the part" in msg, msg
        assert "run that shard again, then merge again" in msg, msg
    # the same part, its own file again, merges
    (p2 / name).unlink()
    shutil.copy(outside, p2 / name)
    cli("merge", p1, p2, "--out", tmp_path / "ok")
    assert (tmp_path / "ok" / "features.npz").is_file()


def test_merge_refuses_pngs_whose_bytes_were_swapped(base, tmp_path) -> None:
    """Each row records the SHA-256 of the PNG the study wrote: two PNGs of a part whose bytes
    were swapped (the names each row's own) are refused, naming the part, the line, both files."""
    p1, p2 = copies(base, tmp_path / "a")
    table = rows(p2 / "images.csv")
    first, second = [(line, r) for line, r in enumerate(table, 2) if r["adversarial_png"]][:2]
    assert first[1]["adversarial_sha256"] and second[1]["adversarial_sha256"]
    a, b = p2 / first[1]["adversarial_png"], p2 / second[1]["adversarial_png"]
    assert a.read_bytes() != b.read_bytes()
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    msg = refused(p1, p2, out=tmp_path / "m")
    assert str(p2) in msg and f"line {first[0]}" in msg and "images.csv" in msg, msg
    assert a.name in msg and b.name in msg and "SHA-256" in msg, msg
    # unswapped, the same parts merge, and the merged rows keep the hashes
    a.write_bytes(data_a)
    b.write_bytes(data_b)
    cli("merge", p1, p2, "--out", tmp_path / "ok")
    merged = {r["adversarial_png"]: r["adversarial_sha256"]
              for r in rows(tmp_path / "ok" / "images.csv")}
    assert merged[first[1]["adversarial_png"]] == first[1]["adversarial_sha256"]


def test_merge_checks_every_row_against_the_study(base, tmp_path) -> None:
    cases = {
        "foreign study_id": ("images.csv", lambda t: t[1].update(study_id="0123456789abcdef"),
                             "line 3", "study"),
        "tier contradicting clean.csv": ("images.csv", lambda t: t[0].update(
            tier="low" if t[0]["tier"] != "low" else "high"), "line 2", "clean.csv"),
        "status set to error by hand": ("images.csv", lambda t: t[0].update(status="error"),
                                        "line 2", "status"),
        "destroy row twice": ("destroy.csv", lambda t: t.append(dict(t[0])), f"line", "twice"),
        "destroy row of a foreign study": ("destroy.csv", lambda t: t[0].update(
            study_id="0123456789abcdef"), "line 2", "study"),
    }
    for k, (name, (csv_name, change, where, word)) in enumerate(cases.items()):
        p1, p2 = copies(base, tmp_path / f"c{k}")
        edit(p2 / csv_name, change)
        msg = refused(p1, p2, out=tmp_path / f"m{k}")
        assert csv_name in msg and where in msg and word in msg, (name, msg)
    # a destroy row copied under another shard's photo
    p1, p2 = copies(base, tmp_path / "x")
    foreign = rows(p2 / "destroy.csv")[0]
    edit(p1 / "destroy.csv", lambda t: t.append(foreign))
    msg = refused(p1, p2, out=tmp_path / "mx")
    assert "destroy.csv" in msg and "another shard" in msg and foreign["file"] in msg
    # a destroy row of a photo the part never attacked
    p1, p2 = copies(base, tmp_path / "y")
    edit(p2 / "destroy.csv", lambda t: t.append(dict(t[0], eps="16")))
    msg = refused(p1, p2, out=tmp_path / "my")
    assert "destroy.csv" in msg and "images.csv" in msg


def test_merge_refuses_shards_run_with_other_extras_or_labels(base, tmp_path) -> None:
    model, folder, classified = base["model"], base["folder"], base["classified"]
    p1, p2 = base["parts"]
    other = tmp_path / "p2-jpeg50"
    cli("study", folder, "--out", other, "--model", model, "--shard", "2/2", "--clean-from",
        classified, "--destroy", "jpeg:50")
    msg = refused(p1, other, out=tmp_path / "m1")
    assert "shard 2/2" in msg and "jpeg:50" in msg and "jpeg:75" in msg and "--destroy" in msg
    labels = tmp_path / "labels.csv"
    labels.write_text("file,class_index\n" + "".join(f"{p.name},3\n" for p in folder.iterdir()))
    truth = tmp_path / "p2-truth"
    cli("study", folder, "--out", truth, "--model", model, "--shard", "2/2", "--clean-from",
        classified, "--truth", labels, *DESTROY)
    msg = refused(p1, truth, out=tmp_path / "m2")
    assert "classified separately" not in msg
    assert "shard 2/2" in msg and "labels.csv" in msg and "shard 1/2" in msg and "--truth" in msg
    # as the message says: resumed with the same labels as shard 1, the shard merges
    cli("study", folder, "--out", truth, "--model", model, "--shard", "2/2", "--clean-from",
        classified, *DESTROY)
    cli("merge", p1, truth, "--out", tmp_path / "m3")
    assert rows(tmp_path / "m3" / "clean.csv") == rows(classified / "clean.csv")


def test_clean_from_of_another_folder_is_refused(base, tmp_path) -> None:
    """A shard of a 12-photo folder given the classification of a 16-photo one."""
    model, small = base["model"], base["folder"]
    big = tmp_path / "big"
    shutil.copytree(small, big)
    rng = np.random.default_rng(9)
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(
            big / f"n{i:08d}_extra{i}.png")
    classified = tmp_path / "big-classified"
    cli("study", big, "--out", classified, "--model", model, "--classify-only")
    out = tmp_path / "shard"
    done = cli("study", small, "--out", out, "--model", model, "--shard", "1/2", "--clean-from",
               classified, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "--clean-from" in done.stderr and "4" in done.stderr and "extra" in done.stderr
    assert not (out / "clean.csv").exists() and not (out / "images.csv").exists()


def test_a_second_ctrl_c_aborts_in_one_line(base, tmp_path) -> None:
    model, folder = base["model"], base["folder"]
    out = tmp_path / "study"
    proc = cli("study", folder, "--out", out, "--model", model, steps=3000, wait=False)
    end = time.time() + 120
    while time.time() < end and proc.poll() is None:
        if (out / "images.csv").exists() and len(rows(out / "images.csv")) >= 1:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)  # the attack stopped: Ctrl-C again, until it lands in the reports' writing
    end = time.time() + 60
    while proc.poll() is None and time.time() < end:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
    text, err = proc.communicate(timeout=120)
    # Never killed by the signal (-2) nor a traceback, whenever the Ctrl-Cs land: the second
    # aborts in one line, or, when the first had already stopped it cleanly and it was exiting,
    # the ones after are ignored and it says it was cancelled.
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    aborted = "aborted" in err.strip().splitlines()[-1]
    assert aborted or "cancelled (run again to resume)" in text, (text, err)
    assert not [p for p in out.rglob(".*.tmp")]  # nothing half-written left behind


@pytest.mark.parametrize("case", ["link", "user-files", "classify-link", "part-link"])
def test_ray_works_only_in_a_shards_folder_it_made(base, tmp_path, case) -> None:
    pytest.importorskip("ray")
    model, folder = base["model"], base["folder"]
    out = tmp_path / "ray"
    work = Path(f"{out}.shards")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    if case == "link":
        work.symlink_to(mine)
    elif case == "user-files":
        work.mkdir()
        (work / "notes.txt").write_text("mine")
    elif case == "classify-link":
        work.mkdir()
        (work / "classify").symlink_to(base["classified"])
    else:
        work.mkdir()
        (work / "shard-1-of-2").symlink_to(mine)
    before = sorted(p.name for p in mine.iterdir())
    started = time.time()
    done = cli("study", folder, "--out", out, "--model", model, "--ray", "--shards", "2",
               check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert str(work) in done.stderr
    assert time.time() - started < 60  # refused before Ray starts
    assert sorted(p.name for p in mine.iterdir()) == before
    assert not out.exists()


def test_ray_at_an_address_where_nothing_listens_is_refused_in_time(base, tmp_path) -> None:
    pytest.importorskip("ray")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = cli("study", base["folder"], "--out", tmp_path / "ray", "--model", base["model"],
               "--ray", f"127.0.0.1:{port}", "--shards", "2", wait=False)
    try:
        _, err = proc.communicate(timeout=90)
    except Exception:
        proc.kill()
        proc.communicate()
        raise AssertionError("--ray at an address where nothing listens hangs")
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and f"127.0.0.1:{port}" in err, err
    assert not (tmp_path / "ray").exists() and not Path(f"{tmp_path / 'ray'}.shards").exists()


def test_a_killed_ray_driver_leaves_no_process_behind(base, tmp_path) -> None:
    """kill -9 of the driver of a local Ray instance: within 30 s nothing that run started
    (GCS server, raylet, DashboardAgent, RuntimeEnvAgent, workers) is still running."""
    pytest.importorskip("ray")
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "ray"
    with open(tmp_path / "driver.log", "w") as log:
        proc = cli("study", base["folder"], "--out", out, "--model", base["model"], "--ray",
                   "--shards", "2", steps=3000, wait=False, stderr=log)
    driver = psutil.Process(proc.pid)
    work = Path(f"{out}.shards")
    try:
        end = time.time() + 240
        while time.time() < end and proc.poll() is None and not all(
                (work / f"shard-{k}-of-2" / "manifest.json").exists() for k in (1, 2)):
            time.sleep(0.2)
        assert proc.poll() is None, (tmp_path / "driver.log").read_text()
        time.sleep(2)  # the shard tasks are attacking
        started = {}
        for p in driver.children(recursive=True):
            try:
                started[p.pid, p.create_time()] = " ".join(p.cmdline()[:2])
            except psutil.Error:  # ended (or a zombie) since listed
                pass
        assert any("ray::" in name or "raylet" in name for name in started.values()), started
    finally:
        proc.kill()
        proc.wait()

    def alive() -> list[str]:
        left = []
        for (pid, created), name in started.items():
            try:
                p = psutil.Process(pid)
                if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                    left.append(f"{pid} {name}")
            except psutil.Error:
                pass
        return left

    end = time.time() + 30
    while alive() and time.time() < end:
        time.sleep(0.5)
    assert not alive(), alive()
