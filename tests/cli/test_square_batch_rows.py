"""A Square Attack row does not depend on the batch it ran in: its steps column is its own step
records, not its batch's (a flipped image's row said 30 in a batch with an image that never
flipped and 1 alone, so a sharded study's merged rows differed from an unsharded run's)."""

from __future__ import annotations

import csv

from advgui.cli.main import main
from tests.helpers.study import model_and_images, study_args


def _rows(out):
    with open(out / "images.csv", newline="", encoding="utf-8") as f:
        return {(r["file"], r["target"]): {k: v for k, v in r.items() if k != "study_id"}
                for r in csv.DictReader(f)}


def test_square_rows_are_the_same_in_batches_of_one_and_of_four(tmp_path) -> None:
    model, folder, _ = model_and_images(tmp_path)
    runs = {}
    for batch in ("1", "4"):
        out = tmp_path / f"out{batch}"
        assert main([str(a) for a in study_args(folder, out, model, "--methods", "square",
                                                 "--queries", "60", "--eps", "8",
                                                 "--batch", batch)]) == 0
        runs[batch] = _rows(out)
    assert runs["1"] == runs["4"]
    assert len({r["steps"] for r in runs["1"].values()}) > 1  # some flipped early, some not
