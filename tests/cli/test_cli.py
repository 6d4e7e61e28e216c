"""advgui-cli classify: files and folders, a line per skipped file, tier counts at the end;
progress: a bar on a terminal, plain lines in a log file."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from advgui.cli import progress
from advgui.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


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


def _cli_process(args: list, stderr) -> subprocess.CompletedProcess:
    """advgui-cli in a child process, its stderr where the test says (a file or a terminal)."""
    return subprocess.run([sys.executable, "-m", "advgui.cli.main", *map(str, args)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                          stderr=stderr, text=True, timeout=300)


def test_progress_in_a_log_file_is_plain_lines(tiny_model, image_folder, tmp_path) -> None:
    # Slurm, Ray and CI keep stderr in a file: no carriage returns, a few lines per phase
    log = tmp_path / "stderr.log"
    with open(log, "w") as fh:
        done = _cli_process(["study", image_folder, "--out", tmp_path / "out", "--model",
                             tiny_model, "--device", "cpu", "--eps", "4", "--steps", "3",
                             "--high", "0.2", "--medium", "0.12"], fh)
    assert done.returncode == 0
    text = log.read_text()
    assert "\r" not in text
    lines = text.splitlines()
    progress = [line for line in lines if line.startswith(("classify ", "attack "))]
    assert {line.split()[0] for line in progress} == {"classify", "attack"}  # the phase names
    assert len(lines) <= 12, text
    assert any(line.startswith("attack ") and " (100 %) " in line and "/s, ETA " in line
               for line in progress), text


def test_progress_on_a_terminal_is_a_bar(tiny_model, image_folder, tmp_path) -> None:
    pty, termios, fcntl = (pytest.importorskip(m) for m in ("pty", "termios", "fcntl"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        image = sorted(image_folder.glob("*.png"))[0]
        done = _cli_process(["attack", image, "--out", tmp_path / "a.png", "--model", tiny_model,
                             "--device", "cpu", "--steps", "4"], slave)
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
    assert lines[0] == "attack 100/3000 (3 %) 0.00/s, ETA ?"
    assert lines[-1] == "attack 3000/3000 (100 %) 1.00/s, ETA 0:00 high:1"
