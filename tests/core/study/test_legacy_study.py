"""Issue 21: study folders written by the release before the restructuring (commit 8d0e8ba,
tests/fixtures/legacy_study/README.md) are read, resumed, merged and summarised by this code."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.helpers.cli import ROOT, cli, rows

FIXTURE = ROOT / "tests" / "fixtures" / "legacy_study"
# The options the fixture was made with (make_fixture.py), for the resume.
OPTIONS = ["--device", "cpu", "--batch", "3", "--high", "0.2", "--medium", "0.12", "--seed", "3",
           "--steps", "3", "--destroy", "jpeg:75"]


def run(*args) -> subprocess.CompletedProcess:
    return cli(*args, options=False)  # a resume takes the fixture's own OPTIONS


def legacy(tmp_path) -> Path:
    copy = tmp_path / "legacy"
    shutil.copytree(FIXTURE, copy)
    return copy


def test_a_legacy_study_is_summarised_with_its_transfer_and_destruction(tmp_path) -> None:
    here = legacy(tmp_path)
    md = run("summary", here / "whole", "--markdown").stdout
    assert "→ other top-1" in md and "jpeg:75 d" in md
    text = run("summary", here / "whole").stdout
    assert "Transfer" in text and "Destruction rate" in text
    assert (here / "whole" / "images.csv").read_bytes() == \
        (FIXTURE / "whole" / "images.csv").read_bytes()  # a summary never rewrites the study


def test_a_legacy_study_resumes_with_one_more_eps_keeping_its_rows(tmp_path) -> None:
    here = legacy(tmp_path)
    whole = here / "whole"
    before = {n: rows(whole / n) for n in ("images.csv", "transfer.csv", "destroy.csv")}
    done = run("study", here / "images", "--out", whole, "--model", here / "model.onnx",
               "--eps", "4", "8", "2", "--transfer-to", here / "other.onnx", *OPTIONS)
    assert "new rows this run" in done.stdout
    for name, old in before.items():
        now = rows(whole / name)
        # The old rows kept, as they were; columns a later release appended: empty cells.
        assert [{k: r[k] for k in old[0]} for r in now[:len(old)]] == old, name
        assert all(v == "" for r in now[:len(old)] for k, v in r.items() if k not in old[0])
        added = now[len(old):]
        assert added and {r["eps"] for r in added} == {"2"}, name
    assert len(rows(whole / "images.csv")) == len(before["images.csv"]) * 3 // 2


def test_two_legacy_shards_merge_into_the_legacy_whole_study(tmp_path) -> None:
    here = legacy(tmp_path)
    merged = tmp_path / "merged"
    run("merge", here / "shard1", here / "shard2", "--out", merged)
    for name in ("images.csv", "clean.csv", "summary.csv", "transfer.csv", "destroy.csv",
                 "transfer_summary.csv", "destroy_summary.csv"):
        assert rows(merged / name) == rows(here / "whole" / name), name
    md = run("summary", merged, "--markdown").stdout
    assert "→ other top-1" in md and "jpeg:75 d" in md
    # the merged manifest's config is the whole study's, as one run of it wrote it (StudyConfig's
    # one conversion, labels_csv, transfer_to and destroy too), but for the folder it is in
    config = json.loads((merged / "manifest.json").read_text())["config"]
    whole = json.loads((here / "whole" / "manifest.json").read_text())["config"]
    assert config.pop("out") == str(merged)
    whole.pop("out")  # where the fixture was made
    assert config == whole
