"""Issue 15, transfer: every 8-bit adversarial scored by a second model, as if its PNG were
scored directly; a model added later is caught up from the saved PNGs; a kill loses nothing."""

from __future__ import annotations

import signal
import time

import numpy as np
from PIL import Image

from advgui.core.model.classifier import Classifier
from advgui.core.model.images import load_rgb
from tests.helpers.cli import cli, rows
from tests.helpers.study import two_models_and_images


def test_transfer_rows_agree_with_scoring_the_saved_png_directly(tmp_path) -> None:
    model, other, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    done = cli("study", folder, "--out", out, "--model", model, "--transfer-to", other)
    assert "Transfer" in done.stdout
    images, transfer = rows(out / "images.csv"), rows(out / "transfer.csv")
    assert len(transfer) == len(images) and {t["model"] for t in transfer} == {"other"}
    second = Classifier.load(other, device="cpu")
    first = Classifier.load(model, device="cpu")
    by_key = {(t["file"], t["method"], t["target"], t["eps"]): t for t in transfer}
    for r in images:
        t = by_key[(r["file"], r["method"], r["target"], r["eps"])]
        adv = np.asarray(load_rgb(out / r["adversarial_png"]))
        crop = first.preprocessing.load(load_rgb(folder / r["file"]))
        pre = second.preprocessing
        p_adv, p_clean = second.probabilities(pre.to_model(np.stack(
            [pre.load(Image.fromarray(adv)), pre.load(Image.fromarray(crop))])))
        assert int(t["adv_top1"]) == int(p_adv.argmax()) and int(t["clean_top1"]) == int(p_clean.argmax())
        assert int(t["top1_changed"]) == int(p_adv.argmax() != p_clean.argmax())
    summary = rows(out / "transfer_summary.csv")
    overall = [s for s in summary if s["tier"] == "all"]
    for s in overall:
        sel = [t for t in transfer if (t["method"], t["target"], t["eps"]) ==
               (s["method"], s["target"], s["eps"])]
        assert int(s["images"]) == len(sel)
        changed = sum(int(t["top1_changed"]) for t in sel) / len(sel)
        assert abs(float(s["top1_changed"]) - changed) < 1e-4


def test_a_transfer_model_added_later_is_caught_up_and_a_kill_loses_nothing(tmp_path) -> None:
    model, other, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    cli("study", folder, "--out", out, "--model", model)
    assert not (out / "transfer.csv").exists()
    reference = tmp_path / "reference"
    cli("study", folder, "--out", reference, "--model", model, "--transfer-to", other)
    cli("study", folder, "--out", out, "--model", model, "--transfer-to", other)  # backfill
    key = lambda r: (r["file"], r["method"], r["target"], r["eps"], r["model"])  # noqa: E731
    assert sorted(map(key, rows(out / "transfer.csv"))) == sorted(map(key, rows(reference / "transfer.csv")))
    assert sorted(rows(out / "transfer.csv"), key=key) == sorted(rows(reference / "transfer.csv"), key=key)
    # killed mid-run, then resumed: every attack row has its transfer row, none twice
    killed = tmp_path / "killed"
    proc = cli("study", folder, "--out", killed, "--model", model, "--transfer-to", other,
               steps=600, wait=False)
    end = time.time() + 120
    while time.time() < end and proc.poll() is None:
        if (killed / "transfer.csv").exists() and len(rows(killed / "transfer.csv")) >= 1:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    cli("study", folder, "--out", killed, "--model", model, "--transfer-to", other, steps=600)
    t = rows(killed / "transfer.csv")
    assert len(t) == len(rows(killed / "images.csv")) == len({key(r) for r in t})


def test_the_study_model_is_refused_as_its_own_transfer_model(tmp_path) -> None:
    model, _, folder = two_models_and_images(tmp_path)
    done = cli("study", folder, "--out", tmp_path / "o", "--model", model, "--transfer-to", model,
               check=False)
    assert done.returncode == 2 and "own model" in done.stderr
    assert not (tmp_path / "o" / "clean.csv").exists()  # refused before any work


def test_shards_with_transfer_merge_into_the_unsharded_transfer_rows(tmp_path) -> None:
    model, other, folder = two_models_and_images(tmp_path)
    whole, classified = tmp_path / "whole", tmp_path / "classified"
    cli("study", folder, "--out", whole, "--model", model, "--transfer-to", other)
    cli("study", folder, "--out", classified, "--model", model, "--classify-only")
    parts = [tmp_path / f"p{k}" for k in (1, 2)]
    for k, p in enumerate(parts, 1):
        cli("study", folder, "--out", p, "--model", model, "--shard", f"{k}/2", "--clean-from",
            classified, "--transfer-to", other)
    merged = tmp_path / "merged"
    cli("merge", *parts, "--out", merged)
    key = lambda r: (r["file"], r["method"], r["target"], r["eps"], r["model"])  # noqa: E731
    assert sorted(rows(merged / "transfer.csv"), key=key) == sorted(rows(whole / "transfer.csv"), key=key)
    assert rows(merged / "transfer_summary.csv") == rows(whole / "transfer_summary.csv")
