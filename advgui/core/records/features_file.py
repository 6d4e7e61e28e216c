"""features.npz: the penultimate features of a study's clean images and adversarials.

One writer (the study, under the folder's lock, through a temporary file); arrays only, read
back with allow_pickle=False, so what is read is exactly what was written. A clean image is
keyed by its file; an adversarial by its images.csv row key and the SHA-256 of its PNG, so an
entry is used only for the very row and bytes it was computed from.
"""

from __future__ import annotations

import errno
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from advgui.core.records.safe_write import BINARY, NOFOLLOW, atomic_write_bytes, not_own_file
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
    """The record in path, or None when there is none or it cannot be used (a damaged file is
    rewritten by the next run of the study)."""
    return load_features(path)[0]


def load_features(path: Path) -> tuple[FeatureRecord | None, str]:
    """The record in path and ""; or None and why it cannot be used ("" when there is none).

    Never read through a link: a symbolic or hard link planted at features.npz is a file from
    outside the study, whose vectors would be taken as this study's. Every array is checked
    against the others (a hand edit or another program's .npz with the right names but ragged
    or non-finite arrays once stopped the reports with numpy's own message, or was half used,
    its lost entries never computed again)."""
    flags = os.O_RDONLY | NOFOLLOW | BINARY | getattr(os, "O_NONBLOCK", 0)  # a FIFO: no hang
    try:
        if path.is_symlink():  # where the OS has no O_NOFOLLOW
            raise OSError(errno.ELOOP, "a symbolic link")
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, ("it is a symbolic link, and advgui never reads a study's record through "
                      "one" if exc.errno == errno.ELOOP else exc.strerror or str(exc))
    with os.fdopen(fd, "rb") as fh:
        why = not_own_file(fh.fileno(), "it may be a file outside the study folder")
        if why:
            return None, why
        try:
            with np.load(fh, allow_pickle=False) as data:
                return _record(data)
        # A truncated .npz is a broken zip (BadZipFile is neither an OSError nor a ValueError)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None, "it is damaged: not a readable .npz of advgui's arrays"


def _record(data) -> tuple[FeatureRecord | None, str]:
    def text(name: str, ndim: int) -> np.ndarray | None:
        a = data[name]
        return a if a.ndim == ndim and a.dtype.kind == "U" else None

    def vectors(name: str, n: int) -> np.ndarray | None:
        a = data[name]
        ok = (a.ndim == 2 and a.dtype.kind == "f" and len(a) == n and (n == 0 or a.shape[1] > 0)
              and bool(np.isfinite(a).all()))
        return a if ok else None

    damaged = None, "it is damaged: its arrays do not fit together"
    strings = [text(n, 0) for n in ("tensor", "model_sha256", "unavailable")]
    names = [text(n, 1) for n in ("clean_files", "adversarial_keys", "adversarial_sha256")]
    if any(a is None for a in (*strings, *names)) or len(names[1]) != len(names[2]):
        return damaged
    clean, adversarial = vectors("clean", len(names[0])), vectors("adversarial", len(names[1]))
    if clean is None or adversarial is None or (
            len(clean) and len(adversarial) and clean.shape[1] != adversarial.shape[1]):
        return damaged
    record = FeatureRecord(*(str(a) for a in strings))
    record.clean = dict(zip(names[0].tolist(), clean))
    record.adversarial = dict(zip(zip(names[1].tolist(), names[2].tolist()), adversarial))
    if len(record.clean) != len(clean) or len(record.adversarial) != len(adversarial):
        return None, "it is damaged: an entry is in it twice"
    return record, ""


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
