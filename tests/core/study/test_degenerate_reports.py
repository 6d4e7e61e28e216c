"""Issue 26: a study finishes whatever its data: nothing flips, everything flips, one image, one
tier, no labels, one eps. Each case is a real ``advgui-cli study`` run: exit 0, the manifest
completed and every report file written, each empty panel saying why it is empty."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from advgui.core.study.reports import REPORT_FILES
from tests.helpers.cli import cli, rows
from tests.helpers.models import PRE, SIZE, tiny_model_file
from tests.helpers.study import write_images

FIGURES = ("fragility.png", "error_vs_eps.png", "error_by_tier.png")


def steady_model(path: Path, classes: int = 10) -> Path:
    """A classifier whose top-1 never changes: class 0 leads by 8 logits and the image moves the
    logits by far less than 1 (its gradient is small but not zero, so attacks run normally)."""
    weight = (np.full((classes, 3), 1e-3) * np.arange(classes)[:, None]).astype(np.float32)
    bias = np.zeros(classes, np.float32)
    bias[0] = 8.0
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
             helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
             helper.make_node("Gemm", ["flat", "w", "b"], ["logits"], transB=1)]
    graph = helper.make_graph(
        nodes, "steady",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, ["N", classes])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, PRE.to_metadata())
    onnx.save(model, path)
    return path


def _study(tmp_path: Path, model: Path, names: list[str], *extra: str):
    folder = write_images(tmp_path / "imgs", names)
    out = tmp_path / "out"
    done = cli("study", folder, "--out", out, "--model", model, "--device", "cpu", "--batch",
               "4", "--high", "0.2", "--medium", "0.12", "--seed", "3", *extra, options=False)
    return done, out


def _complete(out: Path, one_eps: bool = False) -> dict:
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest.get("finished") and "fragility" in manifest
    for name in (*REPORT_FILES, "error_by_tier.png"):
        if name == "error_vs_eps.png" and one_eps:
            assert not (out / name).exists()  # one eps: no curve to draw (test_family)
            continue
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    return manifest


WNIDS = [f"n{i % 10:08d}_{i}.png" for i in range(6)]
UNLABELLED = [f"photo_{i}.png" for i in range(6)]


def test_nothing_flips_one_tier_one_eps(tmp_path) -> None:
    """The study that could not finish in the release before (a log axis of no values)."""
    model = steady_model(tmp_path / "steady.onnx")
    done, out = _study(tmp_path, model, WNIDS, "--eps", "8", "--methods", "fast", "iterative",
                       "noise", "--steps", "2")
    _complete(out, one_eps=True)
    images = rows(out / "images.csv")
    assert images and all(r["top1_error_clean"] == "0" for r in images)
    assert {r["tier"] for r in images} == {"high"}
    assert {r["eps_to_flip"] for r in images if r["method"] == "fast"} == {"inf"}
    fragility = rows(out / "fragility_correlation.csv")
    assert {r["median_eps_to_flip_high"] for r in fragility if r["method"] == "fast"} == {">64"}
    assert "no image flipped" in done.stdout or "Spearman" in done.stdout


def test_everything_flips(tmp_path) -> None:
    model = tiny_model_file(tmp_path / "tiny.onnx")
    _, out = _study(tmp_path, model, WNIDS, "--eps", "128", "255", "--methods", "fast",
                    "noise", "--targets", "inverse")
    _complete(out)
    fast = [r for r in rows(out / "images.csv") if r["method"] == "fast"]
    assert fast and all(r["top1_error_clean"] == "1" for r in fast)


def test_one_image_no_labels_fractional_eps(tmp_path) -> None:
    model = tiny_model_file(tmp_path / "tiny.onnx")
    _, out = _study(tmp_path, model, UNLABELLED[:1], "--eps", "0.5", "--methods", "fast",
                    "iterative", "--steps", "2")
    _complete(out, one_eps=True)
    images = rows(out / "images.csv")
    assert len({r["file"] for r in images}) == 1 and {r["truth"] for r in images} == {"-1"}


def test_no_image_attacked(tmp_path) -> None:
    """Every image unreadable: no rows at all, and still every report."""
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "broken.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", tiny_model_file(tmp_path / "tiny.onnx"),
        "--device", "cpu", "--eps", "8", options=False)
    _complete(out, one_eps=True)


def test_a_study_the_release_before_left_unfinished_completes_when_run_again(tmp_path) -> None:
    """The release before stopped at fragility.png (nothing flipped): images.csv, summary.csv and
    the fragility CSVs written, manifest.json as the run's start left it (no 'finished')."""
    model = steady_model(tmp_path / "steady.onnx")
    args = ("--eps", "8", "--methods", "fast", "iterative", "--steps", "2")
    _, out = _study(tmp_path, model, WNIDS, *args)
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("finished", "cancelled", "rows", "seconds", "seconds_all_runs", "notes",
                "fragility"):
        manifest.pop(key, None)
    (out / "manifest.json").write_text(json.dumps(manifest))
    for name in FIGURES:
        (out / name).unlink(missing_ok=True)
    before = rows(out / "images.csv")
    done, _ = _study(tmp_path, model, [], *args)
    assert done.returncode == 0
    after = _complete(out, one_eps=True)
    assert after["runs"] == 2
    assert rows(out / "images.csv") == before  # nothing attacked again


@pytest.mark.parametrize("case", ["nothing", "everything", "single", "few"])
def test_the_figures_survive_degenerate_rows(tmp_path, case) -> None:
    """In-process: each figure drawn from degenerate rows, the panel saying why it is empty.
    "few": one image of a small tier flips, so its tier has a median but no decile has: the
    release before drew an empty log axis there and stopped ("Data cannot be log-scaled")."""
    from advgui.core.analysis.fragility import fragility_rows  # noqa: PLC0415
    from advgui.core.analysis.summary import summary_rows  # noqa: PLC0415
    from advgui.core.study.reports import write_reports  # noqa: PLC0415

    def row(i: int, method: str, eps: str) -> dict:
        flipped = case == "everything"
        return {"file": f"f{i}.png", "truth": "-1", "tier": "high", "method": method,
                "target": "inverse", "eps": eps, "status": "ok",
                "clean_top1_probability": "0.99", "clean_top1": "0", "adv_top1": "1" if flipped else "0",
                "top1_error_clean": "1" if flipped else "0", "top5_error_clean": "0",
                "truth_in_clean_top5": "", "top1_error_truth": "", "top5_error_truth": "",
                "eps_to_flip": "1" if flipped else "inf",
                "eps_to_flip_float": ("0.5" if flipped else "inf") if method == "fast" else ""}

    n = {"single": 1, "few": 21}.get(case, 5)
    data = [row(i, m, "8") for i in range(n) for m in ("fast", "iterative")]
    if case == "few":
        data[0].update(tier="medium", adv_top1="1", top1_error_clean="1", eps_to_flip="3",
                       eps_to_flip_float="2.5")
    manifest = {}
    write_reports(tmp_path, data, manifest, case)
    for name in (*REPORT_FILES, "error_by_tier.png"):
        assert (tmp_path / name).is_file() or name == "error_vs_eps.png", name
    assert fragility_rows(data)[1] and summary_rows(data)
