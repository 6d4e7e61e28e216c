"""Features of the InceptionV3 backbone and logits of the EfficientNet-Lite0 teacher, per view.

Work is cut into shards of a few source images, each written atomically once complete, so a killed
run resumes at the first missing shard and a finished shard is never recomputed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from advgui.core.model.preprocess import Preprocessing
from advgui.cli.progress import ProgressBar
from advgui.zoo.views import render_view, view_spec

SHARD_IMAGES = 50


@dataclass(frozen=True)
class Net:
    """An in-memory ONNX session with the preprocessing it expects."""

    session: ort.InferenceSession
    pre: Preprocessing

    @classmethod
    def from_model(cls, model_bytes: bytes, pre: Preprocessing) -> "Net":
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return cls(ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"]), pre)

    def run(self, pixels: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"image": self.pre.to_model(pixels)})[0]


def _atomic_save(path: Path, **arrays: np.ndarray) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def extract_views(
    files: list[Path],
    out_dir: Path,
    prefix: str,
    student: Net,
    teacher: Net,
    views: int,
    seed: int,
    batch: int = 32,
) -> list[Path]:
    """Augmented views of each file: student features (float16) and teacher logits."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = [files[i:i + SHARD_IMAGES] for i in range(0, len(files), SHARD_IMAGES)]
    paths = [out_dir / f"{prefix}-v{views}-s{seed}-{k:04d}.npz" for k in range(len(shards))]
    done = sum(len(s) for s, p in zip(shards, paths) if p.exists())
    bar = ProgressBar(len(files) * views, f"{prefix} views", done=done * views)
    for k, (shard, path) in enumerate(zip(shards, paths)):
        if path.exists():
            continue
        feats, logits, index, view_ids = [], [], [], []
        pending_s, pending_t = [], []

        def flush() -> None:
            if pending_s:
                feats.append(student.run(np.stack(pending_s)).astype(np.float16))
                logits.append(teacher.run(np.stack(pending_t)).astype(np.float32))
                bar.update(len(pending_s))
                pending_s.clear()
                pending_t.clear()

        for j, file in enumerate(shard):
            image_index = k * SHARD_IMAGES + j
            with Image.open(file) as im:
                im = im.convert("RGB")
                for v in range(views):
                    spec = view_spec(im.size, image_index, v, seed)
                    pending_s.append(render_view(im, spec, student.pre.size, student.pre.resample))
                    pending_t.append(render_view(im, spec, teacher.pre.size, teacher.pre.resample))
                    index.append(image_index)
                    view_ids.append(v)
                    if len(pending_s) == batch:
                        flush()
        flush()
        _atomic_save(path, features=np.concatenate(feats), teacher=np.concatenate(logits),
                     image=np.asarray(index), view=np.asarray(view_ids))
    bar.close()
    return paths


def extract_plain(files: list[Path], out_path: Path, student: Net, teacher: Net,
                  batch: int = 32) -> Path:
    """Each file once through each model's own standard preprocessing (for evaluation)."""
    if out_path.exists():
        return out_path
    feats, logits = [], []
    bar = ProgressBar(len(files), out_path.stem)
    for i in range(0, len(files), batch):
        s, t = [], []
        for file in files[i:i + batch]:
            with Image.open(file) as im:
                s.append(student.pre.load(im))
                t.append(teacher.pre.load(im))
        feats.append(student.run(np.stack(s)).astype(np.float32))
        logits.append(teacher.run(np.stack(t)).astype(np.float32))
        bar.update(len(s))
    bar.close()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_save(out_path, features=np.concatenate(feats), teacher=np.concatenate(logits))
    return out_path


def load_shards(paths: list[Path]) -> dict[str, np.ndarray]:
    parts = [dict(np.load(p)) for p in paths]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
