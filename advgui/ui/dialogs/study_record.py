"""What the study viewer shows of a study folder, read the way advgui-cli summary reads it (the
records and analysis readers, never a CSV parsed by hand) and never written to: no Qt here.

Every way a folder can fall short (not a study, a half-finished run, a hand-edited CSV, a
missing PNG) becomes a sentence for the user, never an exception the viewer does not expect.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from advgui.core.analysis.summary import summary_rows
from advgui.core.records.folder import is_study_folder
from advgui.core.records.row_log import read_csv
from advgui.core.records.safe_write import BINARY, NOFOLLOW, not_own_file
from advgui.core.records.schema import (IMAGE_COLUMNS, REQUIRED_IMAGE_COLUMNS, image_key,
                                         validate_image_row)
from advgui.core.study.reports import read_manifest

FIGURES = (("Error by tier", "error_by_tier.png"), ("Confidence vs fragility", "fragility.png"),
           ("Error vs ε", "error_vs_eps.png"), ("Feature projection", "feature_projection.png"))


@dataclass
class StudyRecord:
    folder: Path
    problem: str = ""  # why nothing can be shown ("" when the folder is a study)
    notes: list[str] = field(default_factory=list)  # what the user should know of what is shown
    manifest: dict = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)  # images.csv's whole, valid rows
    summary: list[dict] = field(default_factory=list)

    @property
    def inputs(self) -> Path | None:
        """The images folder the study classified (its clean photos)."""
        folder = self.manifest.get("config", {}).get("folder") if isinstance(
            self.manifest.get("config"), dict) else None
        return Path(folder) if isinstance(folder, str) and folder else None

    def clean_image(self, row: dict) -> tuple[Path | None, str]:
        """The row's photo in the study's inputs, or None and why it cannot be shown."""
        if self.inputs is None:
            return None, "manifest.json does not name the images folder"
        path = self.inputs / row["file"]
        return (path, "") if path.is_file() else (None, f"the photo is no longer at {path}")

    def figure(self, name: str) -> tuple[bytes | None, str]:
        """A figure's bytes as the study wrote them, or None and why not ("" when the folder has
        none). Never read through a link: a figure planted as a symbolic or hard link, perhaps
        to a file outside the folder, was shown as the study's own."""
        return _own_bytes(self.folder / name)

    def adversarial_image(self, row: dict) -> tuple[bytes | None, str]:
        """The row's saved adversarial PNG's bytes, read inside this folder, or None and why not.
        Not through a link either: a PNG linked to another row's (or another study's) was shown
        as this row's adversarial."""
        name = row.get("adversarial_png", "")
        if not name:
            return None, ("no adversarial PNG: " + row["error"]) if row.get("error") else \
                "this row names no adversarial PNG"
        path = self.folder / name
        if not path.resolve().is_relative_to(self.folder.resolve()):
            return None, f"images.csv names a PNG outside the study folder ({name})"
        inside = path.parent
        while inside != self.folder and inside != inside.parent:  # adversarial/ itself a link?
            if inside.is_symlink():
                return None, (f"{inside.name}/ is a symbolic link, and the viewer never reads a "
                              "study's file through one")
            inside = inside.parent
        data, why = _own_bytes(path)
        if data is None:
            return None, f"{name}: {why}" if why else f"{name} is missing from the folder"
        return data, ""


def _own_bytes(path: Path) -> tuple[bytes | None, str]:
    """The file's bytes, never through a symbolic or hard link (a FIFO is refused, not waited
    on); None and why not, "" when there is no such file."""
    try:
        if path.is_symlink():  # where the OS has no O_NOFOLLOW
            raise OSError(errno.ELOOP, "a symbolic link")
        fd = os.open(path, os.O_RDONLY | NOFOLLOW | BINARY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, ("it is a symbolic link, perhaps to a file outside the study folder, "
                      "and the viewer never reads a study's file through one"
                      if exc.errno == errno.ELOOP else exc.strerror or str(exc))
    with os.fdopen(fd, "rb") as fh:
        why = not_own_file(fh.fileno(), "it may be a file outside the study folder")
        return (None, why) if why else (fh.read(), "")


def read_study(folder: Path) -> StudyRecord:
    """The study in folder, read only; `problem` says why there is none."""
    record = StudyRecord(folder)
    if not folder.is_dir():
        record.problem = f"{folder} is not a folder (moved or deleted?)."
        return record
    if not is_study_folder(folder):
        record.problem = (f"{folder} is not an advgui study folder: it holds no manifest.json or "
                          "study.json that a study wrote. Choose a study's output folder (the "
                          "one that holds images.csv and summary.csv).")
        return record
    record.manifest = read_manifest(folder)
    images = folder / "images.csv"
    if not images.is_file():
        record.notes.append("No attack has finished yet (images.csv is not there): the study "
                            "classified its images at most. Run it again to resume it.")
    else:
        try:
            contents = read_csv(images, IMAGE_COLUMNS, validate_image_row, image_key,
                                required=REQUIRED_IMAGE_COLUMNS)
        except (OSError, ValueError, UnicodeError) as exc:
            record.problem = f"images.csv cannot be read: {exc}"
            return record
        record.rows = contents.rows
        if contents.damaged:
            record.notes.append(f"{contents.describe_dropped()}; they are not shown (the folder "
                                "is left as it is: the next run of the study repairs it).")
        studies = {r.get("study_id", "") for r in record.rows} - {""}
        if len(studies) > 1:
            record.notes.append(f"images.csv holds rows of {len(studies)} different studies; "
                                "the summary mixes them.")
    if not record.manifest:
        record.notes.append("manifest.json is missing or unreadable: whether the study finished, "
                            "and where its photos are, is not known; its rows are shown.")
    elif not record.manifest.get("finished"):
        record.notes.append("This study has not finished: a run may still be writing it, or "
                            "it was stopped. What it has written so far is shown; run the "
                            "same study again to finish it.")
    elif record.manifest.get("cancelled"):
        record.notes.append("Its last run was cancelled: run the same study again to finish "
                            "it.")
    record.summary = summary_rows(record.rows)
    return record


def settings_text(record: StudyRecord, row: dict) -> list[tuple[str, str]]:
    """The attack settings of one row, as (name, value) lines, then the study's model."""
    model = record.manifest.get("model") if isinstance(record.manifest.get("model"), dict) else {}
    flip = _flip_text(row)
    lines = [("method", row["method"]),
             ("target", f"{row['target']} → {row.get('target_name', '')} "
                        f"(class {row.get('target_class', '')})"),
             ("ε", f"{row['eps']} pixel levels" + (f" ({row['eps_unit']})"
                                                    if row.get("eps_unit") else "")),
             ("step size α", row.get("alpha", "")), ("steps", row.get("steps", "")),
             ("first flip at step", row.get("first_flip_step", "")),
             ("ε to flip", flip), ("L∞ / L2", f"{row.get('linf', '')} / {row.get('l2', '')}"),
             ("PSNR (dB)", row.get("psnr", "")), ("tier", row.get("tier", "")),
             ("model", str(model.get("name", ""))), ("status", row["status"]
                                                     + (f": {row['error']}" if row.get("error") else ""))]
    return [(k, str(v)) for k, v in lines if str(v).strip() not in ("", "-1")]


def _flip_text(row: dict) -> str:
    """eps-to-flip in pixel levels, as the table's column, the unrounded image's beside it: the
    bare eps_to_flip_float ('0.078125' beside 'ε 8 pixel levels') read as a [0,1] value and
    disagreed with the table's '1'."""
    levels, unrounded = row.get("eps_to_flip", "").strip(), row.get("eps_to_flip_float", "").strip()
    if levels in ("", "-1"):
        return ""
    if levels == "inf":
        return "never within ε"
    text = f"{levels} pixel level{'' if levels == '1' else 's'}"
    if unrounded and unrounded not in (levels, "inf", "-1"):
        text += f" ({unrounded} before rounding to 8 bits)"
    return text


def names_in_rows(rows: list[dict]) -> dict[int, str]:
    """The class names the study's own rows name (truth, top-1s, targets): with another model
    in the window, the top-5 said 'class 406: 17.7 %' under a headline's 'altar 17.7 %'."""
    names: dict[int, str] = {}
    for row in rows:
        for index, name in (("truth", "truth_name"), ("clean_top1", "clean_top1_name"),
                            ("adv_top1", "adv_top1_name"), ("target_class", "target_name")):
            try:
                i = int(row.get(index, ""))
            except ValueError:
                continue
            if i >= 0 and row.get(name):
                names.setdefault(i, row[name])
    return names


def top5(text: str, names: list[str] | dict[int, str] | None) -> list[tuple[str, float]]:
    """A top-5 cell ('208:0.8123;...') as (class name, probability); class numbers where the
    names (the model's list, or those the study's rows name) do not say it."""
    out = []
    for part in text.split(";"):
        index, _, p = part.partition(":")
        try:
            i, prob = int(index), float(p)
        except ValueError:
            continue
        if isinstance(names, dict):
            name = names.get(i)
        else:
            name = names[i] if names and 0 <= i < len(names) else None
        out.append((name or f"class {i}", prob))
    return out
