"""Issue 26: random sign noise, the control, runs through the same study, transfer and
destruction tables as the attacks, so every error rate has its baseline beside it."""

from __future__ import annotations

from tests.helpers.cli import cli, rows
from tests.helpers.study import study_args, two_models_and_images


def test_noise_runs_through_the_study_transfer_and_destruction(tmp_path) -> None:
    model, other, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    cli(*study_args(folder, out, model, "--eps", "8", "--methods", "fast", "noise",
                    "--transfer-to", other, "--destroy", "jpeg:75"), options=False)
    for name in ("images.csv", "summary.csv", "transfer.csv", "destroy.csv"):
        assert {r["method"] for r in rows(out / name)} == {"fast", "noise"}, name
    noise = [r for r in rows(out / "images.csv") if r["method"] == "noise"]
    assert noise and all(r["linf"] == "8" for r in noise)
    assert all(r["eps_to_flip_float"] == "" for r in noise)
    # The same study again: the noise is drawn from each image's name, so the rows repeat.
    again = tmp_path / "again"
    cli(*study_args(folder, again, model, "--eps", "8", "--methods", "fast", "noise",
                    "--transfer-to", other, "--destroy", "jpeg:75"), options=False)
    same = [r for r in rows(again / "images.csv") if r["method"] == "noise"]
    assert [r["adv_top5"] for r in same] == [r["adv_top5"] for r in noise]
