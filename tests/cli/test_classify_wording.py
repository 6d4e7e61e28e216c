"""Issue 24: what `advgui-cli classify` prints reads right where stdout and stderr meet (one
terminal, a log with 2>&1), a poster-sized PNG is refused in plain words, and one image is one
image."""

from __future__ import annotations

import subprocess

import numpy as np
from PIL import Image

from tests.core.model.test_images import huge_png
from tests.helpers.cli import finish, start_cli
from tests.helpers.models import SIZE, tiny_model_file


def test_classify_lines_stay_whole_and_a_huge_png_is_refused_plainly(tmp_path) -> None:
    model = tiny_model_file(tmp_path / "tiny.onnx")
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(np.random.default_rng(4).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
                    ).save(folder / "one.png")
    huge_png(folder / "poster.png", 20_000, 20_000)
    done = finish(start_cli("classify", folder, "--model", model, "--device", "cpu",
                            stderr=subprocess.STDOUT))  # as a terminal shows both
    lines = done.stdout.splitlines()
    assert done.returncode == 1  # a file was skipped
    assert lines[0].startswith("model: tiny")
    assert sum("model:" in line for line in lines) == 1
    assert lines[-1].startswith("1 classified (") and lines[-1].endswith(", 1 skipped")
    refusal = next(line for line in lines if "poster.png" in line)
    assert "skipped: image too large: 400 megapixels" in refusal
    assert "bomb" not in done.stdout and "DOS attack" not in done.stdout


def test_counted_nouns_are_singular_for_one() -> None:
    from advgui.core.wording import count_noun

    assert count_noun(1, "image") == "1 image" and count_noun(2, "image") == "2 images"
    assert count_noun(1278, "photo") == "1,278 photos" and count_noun(0, "row") == "0 rows"
