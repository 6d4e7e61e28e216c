"""Make the tiny classifier-family fixtures of tests/fixtures/families/ (needs torch; run once).

    python3 -m venv /work/torchenv
    /work/torchenv/bin/pip install torch torchvision onnx onnxscript
    PYTHONPATH=. /work/torchenv/bin/python scripts/export_families.py [--only vit_b_16 ...]

Each family is torchvision's own module class in a shrunk configuration (few channels and
blocks, 32x32 images, 10 classes, random weights seeded per family, BatchNorm statistics
collected from random images so that no BatchNorm is an identity), exported the ways a user
would: the legacy exporter (dynamo=False) and the dynamo exporter, at opset 17 and 18, with a
fixed batch of 1 and with a dynamic batch axis. Beside them, reference.npz holds one input
image, a target class and torch's float64 gradient of the cross-entropy with respect to the
image, so that the test compares our gradient graph with torch's without torch installed.
manifest.json records what exported and what did not (with the exporter's error).

Torch stays out of advgui's runtime and test dependencies: only this script imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import torchvision
from torch import nn
from torchvision import models as tvm

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "families"
SIZE, CLASSES, TARGET = 32, 10, 3


class TinyResNet(tvm.ResNet):
    """torchvision's ResNet with one block a stage and a sixteenth of the channels."""

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        return super()._make_layer(block, planes // 16, blocks, stride, dilate)


def resnet() -> nn.Module:
    m = TinyResNet(tvm.resnet.BasicBlock, [1, 1, 1, 1], num_classes=CLASSES)
    m.fc = nn.Linear(32, CLASSES)
    return m


def resnet_bottleneck() -> nn.Module:
    m = TinyResNet(tvm.resnet.Bottleneck, [1, 1, 1, 1], num_classes=CLASSES)
    m.fc = nn.Linear(32 * 4, CLASSES)
    return m


def mobilenet_v2() -> nn.Module:
    setting = [[1, 8, 1, 1], [6, 16, 2, 2], [6, 24, 1, 2]]
    m = tvm.MobileNetV2(num_classes=CLASSES, inverted_residual_setting=setting)
    m.features[-1][0] = nn.Conv2d(24, 64, 1, bias=False)
    m.features[-1][1] = nn.BatchNorm2d(64)
    m.classifier[1] = nn.Linear(64, CLASSES)
    return m


def mobilenet_v3_small() -> nn.Module:
    setting, _ = tvm.mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    return tvm.MobileNetV3(setting[:5], last_channel=64, num_classes=CLASSES)


def efficientnet_b0() -> nn.Module:
    setting, last = tvm.efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25,
                                                        depth_mult=0.25)
    return tvm.EfficientNet(setting[:5], dropout=0.2, num_classes=CLASSES, last_channel=64)


def shufflenet_v2() -> nn.Module:
    return tvm.ShuffleNetV2([1, 1, 1], [8, 16, 32, 48, 64], num_classes=CLASSES)


def convnext_tiny() -> nn.Module:
    cfg = tvm.convnext.CNBlockConfig
    # layer_scale 0.5 instead of 1e-6: with the default the blocks add nearly nothing to the
    # residual stream at random init, and the test would check little more than the stem.
    return tvm.ConvNeXt([cfg(16, 32, 1), cfg(32, None, 1)], layer_scale=0.5, num_classes=CLASSES)


def vit_b_16() -> nn.Module:
    return tvm.VisionTransformer(image_size=SIZE, patch_size=8, num_layers=2, num_heads=2,
                                 hidden_dim=32, mlp_dim=64, num_classes=CLASSES)


def swin_t() -> nn.Module:
    return tvm.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[1, 2],
                               window_size=[4, 4], num_classes=CLASSES)


def swin_v2_t() -> nn.Module:
    return tvm.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[1, 2],
                               window_size=[4, 4], num_classes=CLASSES,
                               block=tvm.swin_transformer.SwinTransformerBlockV2,
                               downsample_layer=tvm.swin_transformer.PatchMergingV2)


def regnet() -> nn.Module:
    params = tvm.regnet.BlockParams.from_init_params(depth=4, w_0=8, w_a=8.0, w_m=2.0,
                                                     group_width=8, se_ratio=0.25)
    return tvm.RegNet(params, num_classes=CLASSES, stem_width=8)


def densenet() -> nn.Module:
    return tvm.DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, bn_size=2,
                        num_classes=CLASSES)


def squeezenet() -> nn.Module:
    m = tvm.squeezenet1_1(num_classes=CLASSES)
    m.features = m.features[:5]  # stem and two fire modules (128 channels out)
    m.classifier[1] = nn.Conv2d(128, CLASSES, 1)
    return m


def googlenet() -> nn.Module:
    # torchvision's GoogLeNet with its stem and two Inception blocks at a few channels each
    # (the full widths make 2.5 MB a file); the 4x and 5x Inception stages are dropped.
    from torchvision.models.googlenet import BasicConv2d, Inception
    m = tvm.GoogLeNet(num_classes=CLASSES, aux_logits=False, init_weights=True)
    m.conv1 = BasicConv2d(3, 8, kernel_size=7, stride=2, padding=3)
    m.conv2 = BasicConv2d(8, 8, kernel_size=1)
    m.conv3 = BasicConv2d(8, 16, kernel_size=3, padding=1)
    m.inception3a = Inception(16, 8, 8, 16, 4, 8, 8)  # 40 channels out
    m.inception3b = Inception(40, 16, 8, 16, 4, 8, 8)  # 48 channels out
    m.inception4a = m.inception4b = m.inception4c = m.inception4d = nn.Identity()
    m.inception4e = m.inception5a = m.inception5b = nn.Identity()
    m.fc = nn.Linear(48, CLASSES)
    return m


def maxvit() -> nn.Module:
    return tvm.MaxVit(input_size=(SIZE, SIZE), stem_channels=8, partition_size=2,
                      block_channels=[16], block_layers=[1], head_dim=8,
                      stochastic_depth_prob=0.0, num_classes=CLASSES)


FAMILIES = {f.__name__: f for f in [
    resnet, resnet_bottleneck, mobilenet_v2, mobilenet_v3_small, efficientnet_b0,
    shufflenet_v2, convnext_tiny, vit_b_16, swin_t, swin_v2_t, regnet, densenet, squeezenet,
    googlenet, maxvit]}

# name: (dynamo, opset, dynamic batch)
EXPORTS = {f"{'dynamo' if d else 'legacy'}_o{o}_{'dyn' if dyn else 'b1'}": (d, o, dyn)
           for d in (False, True) for o in (17, 18) for dyn in (False, True)}


def seeded_model(name: str) -> nn.Module:
    seed = 1000 + sorted(FAMILIES).index(name)
    torch.manual_seed(seed)
    model = FAMILIES[name]()
    # torchvision zero-initialises ViT's head: the input gradient would be exactly zero.
    for m in model.modules():
        if isinstance(m, nn.Linear) and not m.weight.detach().any():
            nn.init.normal_(m.weight, std=0.2)
    # BatchNorm statistics from random images (cumulative average), as a trained net has some.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, SIZE, SIZE) * 0.5 + 0.2)
    return model.eval()


def reference(model: nn.Module, name: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7 + sorted(FAMILIES).index(name))
    x32 = rng.normal(0.0, 1.0, size=(1, 3, SIZE, SIZE)).astype(np.float32)
    m64 = _copy(model).double()
    x = torch.from_numpy(x32.astype(np.float64)).requires_grad_(True)
    logits = m64(x)
    loss = nn.functional.cross_entropy(logits, torch.tensor([TARGET]))
    loss.backward()
    return {"image": x32, "target": np.array([TARGET], np.int64),
            "logits": logits.detach().numpy(), "gradient": x.grad.numpy()}


def _copy(model: nn.Module) -> nn.Module:
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=False)


def export(model: nn.Module, path: Path, dynamo: bool, opset: int, dynamic: bool) -> None:
    batch = 2 if (dynamo and dynamic) else 1  # torch.export specialises a batch of 1
    x = torch.randn(batch, 3, SIZE, SIZE)
    kwargs: dict = dict(input_names=["image"], output_names=["logits"], opset_version=opset,
                        dynamo=dynamo)
    if dynamic and dynamo:
        kwargs["dynamic_shapes"] = ({0: torch.export.Dim("batch", min=1, max=1024)},)
    elif dynamic:
        kwargs["dynamic_axes"] = {"image": {0: "batch"}, "logits": {0: "batch"}}
    if dynamo:
        kwargs.update(external_data=False, verbose=False)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), **kwargs)
    onnx.checker.check_model(onnx.load(str(path)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    manifest_path = OUT / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["_made_with"] = {"torch": torch.__version__, "torchvision": torchvision.__version__,
                              "onnx": onnx.__version__, "image_size": SIZE,
                              "classes": CLASSES, "target": TARGET}
    for name in args.only or FAMILIES:
        model = seeded_model(name)
        folder = OUT / name
        folder.mkdir(exist_ok=True)
        np.savez_compressed(folder / "reference.npz", **reference(model, name))
        entry = {"parameters": sum(p.numel() for p in model.parameters()), "exports": {}}
        for variant, (dynamo, opset, dynamic) in EXPORTS.items():
            path = folder / f"{variant}.onnx"
            try:
                export(model, path, dynamo, opset, dynamic)
                got = onnx.load(str(path))
                made = next(o.version for o in got.opset_import if o.domain in ("", "ai.onnx"))
                if made != opset:
                    # The dynamo exporter falls back to opset 18 when it cannot convert down:
                    # the file would repeat the opset-18 one.
                    path.unlink()
                    raise RuntimeError(f"exported at opset {made}, not {opset}")
                entry["exports"][variant] = {
                    "ok": True, "bytes": path.stat().st_size, "opset": made,
                    "ops": sorted({n.op_type for n in got.graph.node})}
            except Exception as exc:  # noqa: BLE001 - recorded, the matrix shows it
                path.unlink(missing_ok=True)
                entry["exports"][variant] = {"ok": False,
                                             "error": f"{type(exc).__name__}: {exc}"[:300]}
            print(name, variant, "ok" if entry["exports"][variant]["ok"] else
                  entry["exports"][variant]["error"][:120], flush=True)
        manifest[name] = entry
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
