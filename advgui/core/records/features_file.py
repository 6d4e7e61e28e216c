"""features.npz: the penultimate features of a study's clean images and adversarials.

One writer (the study, under the folder's lock, through a temporary file); arrays only, read
back with allow_pickle=False, so what is read is exactly what was written. A clean image is
keyed by its file; an adversarial by its images.csv row key and the SHA-256 of its PNG, so an
entry is used only for the very row and bytes it was computed from.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from advgui.core.records.safe_write import atomic_write_bytes
from advgui.core.records.schema import eps_key

FEATURES_FILE = "features.npz"
_SEP = "\x1f"  # never in a file name, a method or a target


def row_key(row: dict) -> str:
    """An attack row's key (images.csv's file, method, target, eps) as one string."""
    return _SEP.join((row["file"], row["method"], row["target"], f"{eps_key(row['eps']):g}"))


@dataclass
class FeatureRecord:
    tensor: str = ""  # the model's tensor the features are (the last linear layer's input)
    model_sha256: str = ""
    unavailable: str = ""  # why no features could be extracted ("" when they could)
    clean: dict[str, np.ndarray] = field(default_factory=dict)  # file -> [D]
    adversarial: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # (key, sha) -> [D]

    def clean_of(self, row: dict) -> np.ndarray | None:
        return self.clean.get(row["file"])

    def adversarial_of(self, row: dict) -> np.ndarray | None:
        return self.adversarial.get((row_key(row), row.get("adversarial_sha256", "")))


def write_features(path: Path, record: FeatureRecord) -> None:
    def stack(values: list[np.ndarray]) -> np.ndarray:
        return np.stack(values).astype(np.float32) if values else np.zeros((0, 0), np.float32)

    adv = list(record.adversarial.items())
    buffer = io.BytesIO()
    np.savez(buffer, tensor=np.str_(record.tensor), model_sha256=np.str_(record.model_sha256),
             unavailable=np.str_(record.unavailable),
             clean_files=np.array(list(record.clean), dtype=str),
             clean=stack(list(record.clean.values())),
             adversarial_keys=np.array([k for (k, _), _ in adv], dtype=str),
             adversarial_sha256=np.array([s for (_, s), _ in adv], dtype=str),
             adversarial=stack([v for _, v in adv]))
    atomic_write_bytes(path, buffer.getvalue())


def read_features(path: Path) -> FeatureRecord | None:
    """The record in path, or None when there is none or it cannot be read (a damaged file is
    rewritten by the next run of the study)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            record = FeatureRecord(str(data["tensor"]), str(data["model_sha256"]),
                                   str(data["unavailable"]))
            clean, adversarial = data["clean"], data["adversarial"]
            record.clean = dict(zip(data["clean_files"].tolist(), clean))
            record.adversarial = dict(zip(zip(data["adversarial_keys"].tolist(),
                                              data["adversarial_sha256"].tolist()), adversarial))
    # A truncated .npz is a broken zip (BadZipFile is neither an OSError nor a ValueError)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return record


def merge_features(folders: list[Path], out: Path, rows: list[dict]) -> bool:
    """A merge's features.npz: the parts' records joined, kept to the merged rows. Only when
    every part has one, of the same tensor and model, and no two disagree on an entry; else
    none is written (the projection then says the features were not combined, never mixes)."""
    path = out / FEATURES_FILE
    records = [read_features(f / FEATURES_FILE) for f in folders]
    merged = FeatureRecord()
    if records and all(r is not None and r.unavailable for r in records) and len(
            {(r.model_sha256, r.unavailable) for r in records}) == 1:
        # every part's model has no features, for one reason: the merge says that reason
        merged.model_sha256, merged.unavailable = records[0].model_sha256, records[0].unavailable
        write_features(path, merged)
        return True
    usable = bool(records) and all(r is not None and not r.unavailable for r in records)
    if usable:
        merged.tensor, merged.model_sha256 = records[0].tensor, records[0].model_sha256
        for r in records:
            if (r.tensor, r.model_sha256) != (merged.tensor, merged.model_sha256):
                usable = False
                break
            for mine, theirs in ((merged.clean, r.clean), (merged.adversarial, r.adversarial)):
                for k, v in theirs.items():
                    if k in mine and not np.array_equal(mine[k], v):
                        usable = False
                    mine[k] = v
    if not usable:
        path.unlink(missing_ok=True)
        return False
    files = {r["file"] for r in rows}
    wanted = {(row_key(r), r.get("adversarial_sha256", "")) for r in rows if r["status"] == "ok"}
    merged.clean = {f: v for f, v in merged.clean.items() if f in files}
    merged.adversarial = {k: v for k, v in merged.adversarial.items() if k in wanted}
    write_features(path, merged)
    return True
