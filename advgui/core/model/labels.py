"""Ground truth of image files, from the formats researchers have it in.

- advgui's / nips17-dev's ``labels.csv`` (``file,class_index``), in the images folder or one level
  above it with keys like ``images/x.jpg`` (nips17-dev, imagenet-val);
- Caffe's ``val.txt`` (``ILSVRC2012_val_00000001.JPEG 65``);
- Kaggle's ``LOC_val_solution.csv`` (``ImageId,PredictionString``; the first wnid is the class);
- a wnid file-name prefix (``n01440764_123.JPEG``) or a wnid folder (``n01440764/123.JPEG``).

Every problem is one line naming the file and the line, raised as LabelsError (a ValueError).
"""

from __future__ import annotations

import csv
import io
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

DETECTED = ("labels.csv", "val.txt", "LOC_val_solution.csv")
_CAFFE_LINE = re.compile(r"\s*(\S(?:.*\S)?)\s+(-?\d+)\s*")


class LabelsError(ValueError):
    """A labels file that cannot be used, with file and line."""


@dataclass
class Labels:
    """file key -> class index; keys are paths relative to ``root``, file names and stems."""

    by_key: dict[str, int] = field(default_factory=dict)
    root: Path | None = None
    source: str = "wnid prefixes or folders"
    wnid_index: dict[str, int] = field(default_factory=dict)

    def listed(self, path: Path, folder: Path) -> bool:
        """True when the labels file itself names path (not a wnid fallback)."""
        return any(k in self.by_key for k in self._keys(path, folder))

    def _keys(self, path: Path, folder: Path) -> list[str]:
        keys = []
        if self.root is not None:
            try:
                keys.append(path.relative_to(self.root).as_posix())
            except ValueError:
                pass
        return keys + [path.relative_to(folder).as_posix(), path.name, path.stem]

    def truth(self, path: Path, folder: Path) -> int:
        """Class index of path (a file under folder), or -1 when unknown."""
        for key in self._keys(path, folder):
            if key in self.by_key:
                return self.by_key[key]
        prefix = path.name.split("_")[0]
        if prefix in self.wnid_index:
            return self.wnid_index[prefix]
        if path.parent.name in self.wnid_index:
            return self.wnid_index[path.parent.name]
        return -1


def _class_index(text: str, where: str, num_classes: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise LabelsError(f"{where}: class index {text.strip()!r} is not a whole number") from None
    if not 0 <= value < num_classes:
        raise LabelsError(f"{where}: class index {value} is outside 0-{num_classes - 1} "
                          f"(the model has {num_classes} classes)")
    return value


def _read_text(path: Path) -> str:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return fh.read()
    except UnicodeDecodeError as exc:
        raise LabelsError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LabelsError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def parse(path: Path, num_classes: int, wnid_index: dict[str, int]) -> dict[str, int]:
    """Read any supported labels file (format told by its first line)."""
    text = _read_text(path)
    # Lines end at LF (CRLF too) only: str.splitlines() would also cut at VT, FF, NEL, U+2028,
    # and csv must see quoted cells whole (a file name may hold a line break).
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if not text.strip():
        raise LabelsError(f"{path}: the labels file is empty")
    head = [c.strip() for c in next(csv.reader([lines[0]]))]
    out: dict[str, int] = {}

    def put(key: str, value: int, where: str) -> None:
        if key in out and out[key] != value:
            raise LabelsError(f"{where}: {key!r} is labelled twice ({out[key]} and {value})")
        out[key] = value

    if "file" in head and "class_index" in head:
        fi, ci = head.index("file"), head.index("class_index")
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader)
        for row in reader:
            if not row or not any(c.strip() for c in row):
                continue
            where = f"{path}, line {reader.line_num}"
            if len(row) <= max(fi, ci):
                raise LabelsError(f"{where}: {len(row)} cells, expected {len(head)}")
            put(row[fi].strip(), _class_index(row[ci], where, num_classes), where)
    elif head[:2] == ["ImageId", "PredictionString"]:
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader)
        for row in reader:
            if not row:
                continue
            where = f"{path}, line {reader.line_num}"
            wnid = (row[1].split() or [""])[0] if len(row) > 1 else ""
            if wnid not in wnid_index:
                raise LabelsError(f"{where}: {wnid!r} is not a class (wnid) of this model")
            put(row[0].strip(), wnid_index[wnid], where)
    else:
        for n, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{path}, line {n}"
            m = _CAFFE_LINE.fullmatch(line)
            if not m:
                raise LabelsError(f"{where}: expected 'FILE CLASS_INDEX' (Caffe val.txt), a CSV "
                                  "with file,class_index columns, or Kaggle's ImageId,"
                                  f"PredictionString; got {line[:60]!r}")
            put(m.group(1), _class_index(m.group(2), where, num_classes), where)
    if not out:
        raise LabelsError(f"{path}: no labels in it")
    return out


def find_labels_file(folder: Path) -> Path | None:
    """A labels file in the images folder, or one level above it (nips17-dev's layout)."""
    for where in (folder, folder.parent):
        for name in DETECTED:
            if (where / name).is_file():
                return where / name
    return None


def _not_a_labels_file(path: Path) -> str:
    """Why path cannot be read as labels, saying what it is (a folder, a FIFO, a device)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return f"labels file not found: {path}"
    what = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
    return (f"labels file {path} is {what}, not a file of labels; give a labels.csv, Caffe "
            "val.txt or Kaggle LOC_val_solution.csv")


def load_labels(folder: Path, num_classes: int, wnid_ids: list[str],
                path: Path | None = None) -> Labels:
    """The ground truth for images under folder: the given file, a detected one, or wnids."""
    wnid_index = {w: i for i, w in enumerate(wnid_ids) if w}
    path = path or find_labels_file(folder)
    if path is None:
        return Labels(wnid_index=wnid_index)
    if not path.is_file():
        raise LabelsError(_not_a_labels_file(path))
    return Labels(parse(path, num_classes, wnid_index), path.parent, str(path), wnid_index)
