"""Models as users bring them, run as a user runs them (``python -m advgui.cli.main``): a fixed
batch of 1, a newer IR version, an Optimum export folder, a bare .onnx with its preprocessing
beside it, and operators without a gradient rule."""

from __future__ import annotations

import json
import subprocess
from functools import partial
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from advgui.core.model.preprocess import Preprocessing
from advgui.core.model.sidecar import (describe_io, preprocessing_from_hf, read_model_classes,
                                       read_model_sidecar, sidecar_path, write_model_sidecar)
from tests.helpers.cli import ROOT
from tests.helpers.cli import cli as run_cli

FAMILIES = ROOT / "tests" / "fixtures" / "families"
OPTIMUM = ROOT / "tests" / "fixtures" / "optimum_tiny"
FIXED = sorted(str(p.relative_to(FAMILIES)) for p in FAMILIES.glob("*/*_b1.onnx"))
# torchvision's ImageNet normalisation in pixel units, for the fixtures without metadata
FLAGS = ["--size", "32", "--mean", "124", "116", "104", "--std", "58", "57", "57"]


# advgui-cli as a user runs it, the options given in full; each test checks the exit itself
cli = partial(run_cli, check=False, options=False)


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(5)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (48, 40 + 8 * i, 3), dtype=np.uint8)).save(
            folder / f"photo{i}.png")
    return folder


def assert_clean_exit(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("fixture", FIXED)
def test_a_fixed_batch_model_attacks_and_classifies(fixture: str, photos: Path,
                                                    tmp_path: Path) -> None:
    model = FAMILIES / fixture
    done = cli("attack", photos / "photo0.png", "--model", model, "--method", "fast",
               "--out", tmp_path / "adv.png", *FLAGS)
    assert_clean_exit(done)
    assert "adversarial (8-bit PNG, re-scored):" in done.stdout
    done = cli("classify", *sorted(photos.iterdir()), "--model", model, *FLAGS)
    assert_clean_exit(done)
    assert "3 classified" in done.stdout


@pytest.mark.parametrize("fixture", ["resnet/dynamo_o18_b1.onnx", "vit_b_16/legacy_o17_b1.onnx"])
def test_a_fixed_batch_model_runs_a_study(fixture: str, photos: Path, tmp_path: Path) -> None:
    done = cli("study", photos, "--out", tmp_path / "out", "--model", FAMILIES / fixture,
               "--methods", "fast", "iterative", "--eps", "4", "--batch", "3", *FLAGS)
    assert_clean_exit(done)
    assert "finished: 12 new rows" in done.stdout


def test_a_newer_ir_version_is_lowered(photos: Path, tmp_path: Path) -> None:
    model = onnx.load(str(FAMILIES / "resnet" / "legacy_o17_b1.onnx"))
    model.ir_version = onnx.IR_VERSION + 1  # newer than this onnx writes, let alone ORT reads
    path = tmp_path / "newer.onnx"
    onnx.save(model, path)
    done = cli("classify", *sorted(photos.iterdir()), "--model", path, *FLAGS)
    assert_clean_exit(done)
    assert "3 classified" in done.stdout


def _sin_cos_model() -> onnx.ModelProto:
    """A classifier whose image passes through Sin (twice) and Cos: no gradient rule for
    either; dynamo-like generic node names."""
    w = numpy_helper.from_array(np.full((3, 10), 0.1, np.float32), "w")
    nodes = [helper.make_node("Sin", ["x"], ["s1"], name="n0"),
             helper.make_node("Cos", ["s1"], ["c1"], name="n1"),
             helper.make_node("Sin", ["c1"], ["s2"], name="n2"),
             helper.make_node("GlobalAveragePool", ["s2"], ["p"], name="n3"),
             helper.make_node("Flatten", ["p"], ["f"], name="n4"),
             helper.make_node("MatMul", ["f", "w"], ["logits"], name="n5")]
    graph = helper.make_graph(
        nodes, "sincos", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in Preprocessing(32, (127.5,) * 3, (127.5,) * 3).to_metadata().items():
        model.metadata_props.add(key=k, value=v)
    return model


def test_unsupported_operators_are_listed_in_one_line(photos: Path, tmp_path: Path) -> None:
    path = tmp_path / "sincos.onnx"
    onnx.save(_sin_cos_model(), path)
    done = cli("attack", photos / "photo0.png", "--model", path, "--method", "fast",
               "--out", tmp_path / "adv.png")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert "no gradient rule for 2 operator types" in message
    assert "Sin x2 (first: node 'n0', output 's1', node 1 of 6)" in message
    assert "Cos x1 (first: node 'n1', output 'c1', node 2 of 6)" in message
    assert "classification" in message and "transfer scoring" in message
    assert "ConvTranspose" not in message  # the supported list is in the README instead
    assert_clean_exit(cli("classify", photos / "photo0.png", "--model", path))


def test_an_optimum_folder_loads_with_no_flags(photos: Path, tmp_path: Path) -> None:
    done = cli("classify", *sorted(photos.iterdir()), "--model", OPTIMUM)
    assert_clean_exit(done)
    assert "optimum_tiny" in done.stderr
    assert any(name in done.stdout for name in ("tench", "goldfish", "robin", "hen", "frog"))
    done = cli("attack", photos / "photo1.png", "--model", OPTIMUM, "--method", "fast",
               "--out", tmp_path / "adv.png")
    assert_clean_exit(done)
    done = cli("study", photos, "--out", tmp_path / "out", "--model", OPTIMUM, "--methods",
               "fast", "--eps", "4")
    assert_clean_exit(done)


def test_a_transfer_model_gets_its_own_preprocessing(photos: Path, tmp_path: Path) -> None:
    attacked = FAMILIES / "mobilenet_v2" / "legacy_o17_dyn.onnx"
    done = cli("study", photos, "--out", tmp_path / "out", "--model", attacked, *FLAGS,
               "--methods", "fast", "--eps", "4", "--transfer-to", OPTIMUM)
    assert_clean_exit(done)
    rows = (tmp_path / "out" / "transfer.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 * 2 and "optimum_tiny" in rows[1]
    # without anything beside it, a transfer model is refused naming the file to write
    bare = tmp_path / "bare" / "other.onnx"
    bare.parent.mkdir()
    bare.write_bytes((FAMILIES / "resnet" / "legacy_o17_dyn.onnx").read_bytes())
    done = cli("study", photos, "--out", tmp_path / "out2", "--model", attacked, *FLAGS,
               "--methods", "fast", "--eps", "4", "--transfer-to", bare)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "other.preprocessor_config.json" in line and "--size" not in line
    # ... and once it is written beside the model, the same study takes it
    write_model_sidecar(bare, Preprocessing(32, (124, 116, 104), (58, 57, 57)))
    assert_clean_exit(cli("study", photos, "--out", tmp_path / "out3", "--model", attacked,
                          *FLAGS, "--methods", "fast", "--eps", "4", "--transfer-to", bare))


def test_a_sidecar_and_a_labels_file_beside_a_bare_model(tmp_path: Path, photos: Path) -> None:
    model = tmp_path / "net.onnx"
    model.write_bytes((FAMILIES / "regnet" / "legacy_o17_b1.onnx").read_bytes())
    labels = tmp_path / "imagenet_labels.txt"
    labels.write_text("\n".join(f"animal {i}" for i in range(10)) + "\n")
    pre = Preprocessing(32, (124.0, 116.0, 104.0), (58.0, 57.0, 57.0), crop_fraction=0.875,
                        resample="bicubic")
    side = write_model_sidecar(model, pre, labels)
    assert side == sidecar_path(model) == tmp_path / "net.preprocessor_config.json"
    back = read_model_sidecar(model)
    assert back is not None and back.size == 32 and back.resample == "bicubic"
    np.testing.assert_allclose(back.mean, pre.mean)
    np.testing.assert_allclose(back.std, pre.std)
    assert back.crop_fraction == 0.875
    assert read_model_classes(model).names[3] == "animal 3"
    done = cli("classify", photos / "photo2.png", "--model", model)
    assert_clean_exit(done)
    assert "animal" in done.stdout
    # a *labels*.txt alone gives the class names too
    side.unlink()
    assert read_model_classes(model).names[0] == "animal 0"


def test_hugging_face_sizes_and_units() -> None:
    vit = preprocessing_from_hf({"size": {"height": 224, "width": 224}, "image_mean": [0.5] * 3,
                                 "image_std": [0.5] * 3, "resample": 2})
    assert (vit.size, vit.stretch, vit.mean, vit.std) == (224, True, (127.5,) * 3, (127.5,) * 3)
    convnext = preprocessing_from_hf({"size": {"shortest_edge": 224}, "crop_pct": 0.875,
                                      "image_mean": [0.485, 0.456, 0.406],
                                      "image_std": [0.229, 0.224, 0.225], "resample": 3})
    assert (convnext.size, convnext.crop_fraction, convnext.resample) == (224, 0.875, "bicubic")
    assert convnext.mean[0] == pytest.approx(123.675)
    deit = preprocessing_from_hf({"size": 256, "do_center_crop": True,
                                  "crop_size": {"height": 224, "width": 224}})
    assert (deit.size, deit.crop_fraction) == (224, 0.875)
    with pytest.raises(ValueError, match="not square"):
        preprocessing_from_hf({"size": {"height": 224, "width": 160}})


def test_describe_io_names_the_symbolic_dims() -> None:
    io = describe_io(FAMILIES / "resnet" / "legacy_o17_dyn.onnx")
    (name, dims), = io["inputs"]
    assert dims[1:] == [3, 32, 32] and isinstance(dims[0], str)
    assert describe_io(OPTIMUM)["inputs"][0][1] == [1, 3, 32, 32]
    assert json.dumps(io)  # plain values, for the window to show
