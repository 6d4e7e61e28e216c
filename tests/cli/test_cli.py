"""advgui-cli classify: files and folders, a line per skipped file, tier counts at the end;
progress: a bar on a terminal, plain lines in a log file."""

from __future__ import annotations

import io
import os
import struct
import sys

import pytest

from advgui.cli import progress
from advgui.cli.main import main
from tests.helpers.cli import cli


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


def test_progress_in_a_log_file_is_plain_lines(tiny_model, image_folder, tmp_path) -> None:
    # Slurm, Ray and CI keep stderr in a file: no carriage returns, a few lines per phase
    log = tmp_path / "stderr.log"
    with open(log, "w") as fh:
        done = cli("study", image_folder, "--out", tmp_path / "out", "--model", tiny_model,
                   "--device", "cpu", "--eps", "4", "--steps", "3", "--high", "0.2",
                   "--medium", "0.12", check=False, options=False, stderr=fh)
    assert done.returncode == 0
    text = log.read_text()
    assert "\r" not in text
    lines = text.splitlines()
    progress = [line for line in lines if line.startswith(("classify ", "attack "))]
    assert {line.split()[0] for line in progress} == {"classify", "attack"}  # the phase names
    assert len(lines) <= 12, text
    assert any(line.startswith("attack ") and " (100 %) " in line and "/s in " in line
               for line in progress), text


def test_progress_on_a_terminal_is_a_bar(tiny_model, image_folder, tmp_path) -> None:
    pty, termios, fcntl = (pytest.importorskip(m) for m in ("pty", "termios", "fcntl"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        image = sorted(image_folder.glob("*.png"))[0]
        done = cli("attack", image, "--out", tmp_path / "a.png", "--model", tiny_model,
                   "--device", "cpu", "--steps", "4", check=False, stderr=slave)
        os.close(slave)
        drawn = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child's end is closed and everything is read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(master)
    assert done.returncode == 0
    text = drawn.decode()
    assert "\r" in text and "iterative: 100%|" in text and "4/4" in text, text


def test_progress_lines_in_a_log_come_every_interval(monkeypatch) -> None:
    clock = {"t": 0.0}
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock["t"])
    out = io.StringIO()
    bar = progress.ProgressBar(3000, "attack", stream=out, done=100)
    for _ in range(2900):  # one unit a second: about 2,900 s, so a line every 30 s
        clock["t"] += 1.0
        bar.update(note="high:1")
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + 2900 // 30 + 1
    assert lines[0] == "attack 100/3000 (3 %)"  # no work of this run yet: no rate (was 0.00/s)
    # the phase's end: its average rate over its whole time (was "1.00/s, ETA 0:00")
    assert lines[-1] == "attack 3000/3000 (100 %) 1.00/s in 48:20 high:1"


def test_a_phase_done_in_one_report_ends_with_its_real_rate_and_time(monkeypatch) -> None:
    # a study's first report of a phase already holds a batch: classify 4/4 at once printed
    # "0.00/s, ETA ?"; the bar starts where the phase did (when the phase before ended)
    from advgui.cli.study import PhaseBars
    from advgui.core.records.config import StudyProgress

    clock = {"t": 100.0}
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock["t"])
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    bars = PhaseBars()  # the study starts at t = 100
    clock["t"] = 102.0
    bars.show(StudyProgress("classify", 4, 4, {}, new=4))  # one batch: 4 images in 2 s
    clock["t"] = 106.0
    bars.show(StudyProgress("attack", 7, 12, {}, new=1))  # resumed: 6 were done before
    clock["t"] = 112.0
    bars.show(StudyProgress("attack", 12, 12, {}, new=6))
    bars.close()
    assert out.getvalue().splitlines() == [
        "classify 0/4 (0 %)", "classify 4/4 (100 %) 2.00/s in 0:02",
        "attack 6/12 (50 %)", "attack 12/12 (100 %) 0.60/s in 0:10"]
