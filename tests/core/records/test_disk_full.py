"""Disk full and unwritable output: a clear error before work where it can be known, and
afterwards no half-written file, no lost row, and a study that resumes."""

from __future__ import annotations

import csv
import errno
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from PIL import Image

from advgui.core.records.row_log import OutputError, RowLog
from advgui.core.records.schema import IMAGE_COLUMNS
from advgui.core.study.engine import Study, StudyConfig
from advgui.core.tiers import TierThresholds
from tests.helpers.study import classifier, make_folder
from tests.helpers.study import run as _drive

COLUMNS = ["file", "value"]


def _config(folder: Path, out: Path) -> StudyConfig:
    return StudyConfig(folder=folder, out=out, methods=("fast",),
                       targets=("least-likely", "inverse"), eps=(4.0, 8.0), batch=2,
                       thresholds=TierThresholds(0.2, 0.12))


def _check_folder_is_whole(out: Path) -> list[dict]:
    """Every file complete: rows parse, every PNG a row names opens, no temporary left."""
    assert not [p for p in out.rglob("*.tmp")]
    text = (out / "images.csv").read_text()
    assert text.endswith("\n")
    rows = list(csv.DictReader(text.splitlines()))
    assert all(None not in r and None not in r.values() for r in rows)
    for r in rows:
        if r["adversarial_png"]:
            with Image.open(out / r["adversarial_png"]) as im:
                im.load()
    return rows


def test_failed_append_leaves_the_log_as_it_was(tmp_path, monkeypatch) -> None:
    log = RowLog(tmp_path / "rows.csv", COLUMNS)
    log.append([{"file": "a", "value": 1}])
    before = (tmp_path / "rows.csv").read_bytes()
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))  # a short write, as on a filling disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError):
        log.append([{"file": "b", "value": 2}, {"file": "c", "value": 3}])
    monkeypatch.undo()
    assert (tmp_path / "rows.csv").read_bytes() == before
    assert [r["file"] for r in log.rows] == ["a"]
    log.append([{"file": "d", "value": 4}])
    log.close()
    assert [r["file"] for r in RowLog(tmp_path / "rows.csv", COLUMNS).rows] == ["a", "d"]


def test_unwritable_output_folder_is_refused_before_work(tmp_path) -> None:
    folder = make_folder(tmp_path / "imgs")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OutputError, match="cannot write to the output folder"):
        _drive(Study(classifier(), _config(folder, tmp_path / "a-file" / "out")))


def test_too_little_free_space_is_refused_before_any_attack(tmp_path, monkeypatch) -> None:
    folder = make_folder(tmp_path / "imgs")
    out = tmp_path / "out"
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda p: real(p)._replace(free=10_000))
    with pytest.raises(OutputError, match=r"not enough free space .* MB are free"):
        _drive(Study(classifier(), _config(folder, out)))
    assert list(csv.DictReader(open(out / "images.csv"))) == []
    assert not list((out / "adversarial").iterdir())


def test_rows_failing_mid_run_stop_the_study_and_it_resumes(tmp_path, monkeypatch) -> None:
    folder = make_folder(tmp_path / "imgs")
    out = tmp_path / "out"
    real_write = os.write
    calls = {"n": 0}

    def full_after_a_few(fd, data):  # the disk fills while attack rows are being appended
        if not os.readlink(f"/proc/self/fd/{fd}").endswith("images.csv"):
            return real_write(fd, data)
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_after_a_few)
    with pytest.raises(OutputError, match=r"disk is full.*finished rows kept.*resume"):
        _drive(Study(classifier(), _config(folder, out)))
    monkeypatch.undo()
    kept = _check_folder_is_whole(out)
    assert 0 < len(kept) < 24
    _drive(Study(classifier(), _config(folder, out)))
    rows = _check_folder_is_whole(out)
    keys = [(r["file"], r["method"], r["target"], r["eps"]) for r in rows]
    assert len(keys) == len(set(keys)) == 24  # 6 images x 2 targets x 2 eps, none lost or twice
    assert rows[:len(kept)] == kept


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MB tmpfs (needs root); skipped where mounting is not allowed."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("mount is not permitted here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_real_disk_filling_up_mid_run(tmp_path, small_disk) -> None:
    folder = make_folder(tmp_path / "imgs")
    out = small_disk / "out"
    filler = small_disk / "filler"

    def another_program_fills_the_disk(batch: int) -> None:
        if batch == 8:  # a few attack batches in: something else takes the rest of the disk
            with open(filler, "wb") as fh:
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
                except OSError:
                    pass

    with pytest.raises(OutputError, match="disk is full"):
        _drive(Study(classifier(), _config(folder, out)), on_batch=another_program_fills_the_disk)
    kept = _check_folder_is_whole(out)
    assert len(kept) < 24
    filler.unlink()
    _drive(Study(classifier(), _config(folder, out)))
    rows = _check_folder_is_whole(out)
    assert len({(r["file"], r["target"], r["eps"]) for r in rows}) == len(rows) == 24
    assert rows[:len(kept)] == kept
    assert set(IMAGE_COLUMNS) <= set(rows[0])


def test_a_disk_full_while_classifying_keeps_the_classified_rows(tmp_path, monkeypatch) -> None:
    folder = make_folder(tmp_path / "imgs")
    out = tmp_path / "out"
    real_write, calls = os.write, {"n": 0}

    def full_while_classifying(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("clean.partial.csv"):
            calls["n"] += 1
            if calls["n"] > 2:  # the header and one batch fit
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_while_classifying)
    with pytest.raises(OutputError, match=r"disk is full.*resume"):
        _drive(Study(classifier(), _config(folder, out)))
    monkeypatch.undo()
    assert not (out / "clean.csv").exists()
    kept = list(csv.DictReader(open(out / "clean.partial.csv", newline="")))
    assert 0 < len(kept) < 8
    _drive(Study(classifier(), _config(folder, out)))
    clean = list(csv.DictReader(open(out / "clean.csv", newline="")))
    assert len(clean) == len({r["file"] for r in clean}) == 8
