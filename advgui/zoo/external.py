"""Save an ONNX model with its weights in external-data files that are written once.

Weights that never change (the backbone) and weights that may be retrained (a classifier head)
go to different files, so retraining rewrites only the small one and git never stores a second
copy of the large one.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import onnx
from onnx.external_data_helper import set_external_data

from advgui.core.model.hashing import sha256_file

ALIGN = 64


def save_split(model: onnx.ModelProto, path: Path, location_of: Callable[[str], str],
               frozen: set[str] = frozenset()) -> dict[str, str]:
    """Write model to path and its initializers to the files location_of(name) names.

    A location in ``frozen`` that already exists must come out byte-identical; it is never
    overwritten (the build refuses instead). Returns sha256 of every written file.
    """
    folder = path.parent
    blobs: dict[str, bytearray] = {}
    for tensor in model.graph.initializer:
        location = location_of(tensor.name)
        data = tensor.raw_data or onnx.numpy_helper.from_array(
            onnx.numpy_helper.to_array(tensor)).raw_data
        blob = blobs.setdefault(location, bytearray())
        blob.extend(b"\0" * (-len(blob) % ALIGN))
        offset = len(blob)
        blob.extend(data)
        for field in ("float_data", "int64_data", "int32_data", "double_data"):
            tensor.ClearField(field)
        tensor.raw_data = data
        set_external_data(tensor, location, offset, len(data))
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
    hashes = {}
    for location, blob in blobs.items():
        target = folder / location
        digest = hashlib.sha256(blob).hexdigest()
        if location in frozen and target.exists():
            if sha256_file(target) != digest:
                raise RuntimeError(f"{target} exists with different content: the frozen weights "
                                   "must never be rewritten; delete it only on purpose")
        else:
            tmp = target.with_suffix(target.suffix + ".tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, target)
        hashes[location] = digest
    tmp = path.with_suffix(".onnx.tmp")
    tmp.write_bytes(model.SerializeToString())
    os.replace(tmp, path)
    hashes[path.name] = sha256_file(path)
    return hashes
