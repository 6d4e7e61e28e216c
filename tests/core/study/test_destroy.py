"""Issue 15, destruction rate: Kurakin's d against a direct computation on the tiny model, every
transformation parsed or refused, and rows keyed by transformation through a resume."""

from __future__ import annotations

import numpy as np
import pytest

from advgui.core.model.classifier import Classifier
from advgui.core.model.transforms import Transform
from advgui.core.model.images import load_rgb
from tests.helpers.cli import cli, rows
from tests.helpers.study import two_models_and_images


def test_transforms_parse_apply_and_refuse() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for text, name in (("jpeg:75", "jpeg:75"), ("blur:1", "blur:1"), ("brightness:+30", "brightness:+30"),
                       ("brightness:-20", "brightness:-20"), ("contrast:0.8", "contrast:0.8")):
        t = Transform.parse(text)
        assert str(t) == name
        out = t.apply(pixels)
        assert out.shape == pixels.shape and out.dtype == np.uint8 and not np.array_equal(out, pixels)
    bright = Transform.parse("brightness:+30").apply(pixels).astype(int)
    assert np.array_equal(bright, np.minimum(pixels.astype(int) + 30, 255))
    for bad in ("jpeg:0", "jpeg:100", "blur:-1", "sharpen:2", "jpeg", "contrast:-0.5"):
        with pytest.raises(ValueError, match="--destroy"):
            Transform.parse(bad)


def test_destruction_rate_agrees_with_a_direct_computation(tmp_path) -> None:
    model, _, folder = two_models_and_images(tmp_path)
    out = tmp_path / "out"
    done = cli("study", folder, "--out", out, "--model", model, "--destroy", "jpeg:50",
               "brightness:+40")
    assert "Destruction rate" in done.stdout
    clf = Classifier.load(model, device="cpu")
    pre = clf.preprocessing
    images = {(r["file"], r["method"], r["target"], r["eps"]): r for r in rows(out / "images.csv")}
    summary = {(s["transform"], s["method"], s["target"], s["eps"], s["tier"]): s
               for s in rows(out / "destroy_summary.csv")}
    for text in ("jpeg:50", "brightness:+40"):
        t = Transform.parse(text)
        for (method, target, eps) in {(k[1], k[2], k[3]) for k in images}:
            counted = destroyed = 0
            for key, r in images.items():
                if (key[1], key[2], key[3]) != (method, target, eps) or r["status"] != "ok":
                    continue
                label = int(r["truth"]) if int(r["truth"]) >= 0 else int(r["clean_top1"])
                if int(r["clean_top1"]) != label or int(r["adv_top1"]) == label:
                    continue
                counted += 1
                adv = t.apply(np.asarray(load_rgb(out / r["adversarial_png"])))
                top = int(clf.probabilities(pre.to_model(adv[None]))[0].argmax())
                destroyed += top == label
            s = summary[(str(t), method, target, eps, "all")]
            assert (int(s["counted"]), int(s["destroyed"])) == (counted, destroyed)
    # a transformation added later is caught up from the PNGs; nothing is scored twice
    cli("study", folder, "--out", out, "--model", model, "--destroy", "jpeg:50", "brightness:+40",
        "blur:1")
    d = rows(out / "destroy.csv")
    keys = {(r["file"], r["method"], r["target"], r["eps"], r["transform"]) for r in d}
    assert len(keys) == len(d) == 3 * len(images)
