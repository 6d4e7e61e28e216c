"""Issue 27: Square Attack joins the study like the other methods: its rows carry queries_to_flip
(empty for the gradient methods), it goes through the summary, transfer and destruction with the
noise baseline beside it, and a study of it alone runs on a model whose gradient cannot be built."""

from __future__ import annotations

import json

import numpy as np
import onnx

from advgui.core.analysis.queries import queries_rows

from tests.helpers.cli import cli, rows
from tests.helpers.models import no_gradient_model
from tests.helpers.study import study_args, two_models_and_images


def test_square_runs_through_the_study_transfer_and_destruction(tmp_path) -> None:
    model, other, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    args = study_args(folder, out, model, "--eps", "8", "--methods", "square", "fast", "noise",
                      "--targets", "inverse", "least-likely", "--queries", "40",
                      "--transfer-to", other, "--destroy", "jpeg:75")
    cli(*args, options=False)
    for name in ("images.csv", "summary.csv", "transfer.csv", "destroy.csv"):
        assert {r["method"] for r in rows(out / name)} == {"square", "fast", "noise"}, name
    images = rows(out / "images.csv")
    square = [r for r in images if r["method"] == "square"]
    assert len(square) == 16 and all(r["status"] == "ok" for r in square)
    assert all(r["queries_to_flip"] == "" for r in images if r["method"] != "square")
    for r in square:  # the query of the first flip, or inf: never over the budget of 40
        q = r["queries_to_flip"]
        assert q == "inf" or 1 <= int(q) <= 40, q
        assert int(r["linf"]) <= 8
        # a flip counted means a changed top-1 on the saved 8-bit image for the inverse target
        if r["target"] == "inverse":
            assert (q != "inf") == (r["top1_error_clean"] == "1")
    assert any(r["queries_to_flip"] != "inf" for r in square)
    # queries.csv: per attack and tier, the flipped images and their median queries
    table = {(r["target"], r["tier"]): r for r in rows(out / "queries.csv")}
    assert {r["method"] for r in rows(out / "queries.csv")} == {"square"}
    for target in ("inverse", "least-likely"):
        mine = [r for r in square if r["target"] == target]
        flips = sorted(int(r["queries_to_flip"]) for r in mine if r["queries_to_flip"] != "inf")
        whole = table[target, "all"]
        assert (int(whole["images"]), int(whole["flipped"])) == (len(mine), len(flips))
        if flips:
            assert float(whole["median_queries_flipped"]) == float(np.median(flips))
    manifest = json.loads((out / "manifest.json").read_text())
    # a step record a query below 50 queries
    assert {"method": "square", "eps": 8.0, "steps": 40, "queries": 40} in manifest["attacks"]
    printed = cli("summary", out).stdout
    assert "Queries to flip" in printed and "square  inverse" in printed
    # --markdown (the table a report pastes) has the same block, a row per attack and tier
    md = cli("summary", out, "--markdown").stdout
    table = [x for x in md.split("Queries to flip", 1)[1].splitlines() if x.startswith("| square")]
    assert len(table) == len([r for r in queries_rows(rows(out / "images.csv"))])
    # The same study again: each image's squares are drawn from its name, so the rows repeat.
    again = tmp_path / "again"
    cli(*study_args(folder, again, model, *args[args.index("--eps"):]), options=False)
    same = [r for r in rows(again / "images.csv") if r["method"] == "square"]
    assert [(r["adv_top5"], r["queries_to_flip"]) for r in same] == \
        [(r["adv_top5"], r["queries_to_flip"]) for r in square]


def test_a_square_study_runs_on_a_model_without_gradient_rules(tmp_path) -> None:
    _, _, folder = two_models_and_images(tmp_path)
    bare = tmp_path / "sin.onnx"
    onnx.save(no_gradient_model(), bare)
    refused = cli(*study_args(folder, tmp_path / "refused", bare, "--methods", "fast"),
                  options=False, check=False)
    assert refused.returncode != 0 and "odd_sin" in refused.stderr
    out = tmp_path / "out"
    cli(*study_args(folder, out, bare, "--methods", "square", "noise", "--targets", "inverse",
                    "--queries", "20"), options=False)
    found = rows(out / "images.csv")
    assert {r["method"] for r in found} == {"square", "noise"}
    assert all(r["status"] == "ok" for r in found)
    assert {r["method"] for r in rows(out / "summary.csv")} == {"square", "noise"}


def test_the_dry_run_counts_square_as_forward_queries() -> None:
    from advgui.core.study.cost_model import study_work

    work = study_work(100, 10, [("square", 8.0, 1000), ("iterative", 8.0, 10)], targets=2)
    assert (work["square eps 8"].forward, work["square eps 8"].gradient) == (20_000, 0)
    assert work["iterative eps 8"].gradient == 200
