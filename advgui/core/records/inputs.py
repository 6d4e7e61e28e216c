"""Which files of a folder are a study's inputs: image files, never a study folder's own files.

It lives with the record (not with image reading in core/model) because telling inputs from
results needs the record's marks: records/folder.py is the one place that knows them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from advgui.core.model.images import IMAGE_SUFFIXES
from advgui.core.records.folder import is_study_folder


def iter_image_files(folder: Path, skip: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Image files under folder (recursively), as they are found, by suffix; hidden ones skipped.

    Study folders (an advgui study's outputs) are never entered, nor the folders in ``skip``:
    their adversarial PNGs are results, not photos. The walk keeps its own stack, so a tree of
    any depth is listed (os.walk recursed and failed at about 1,000 levels).
    """
    skipped = {os.path.normcase(os.path.abspath(p)) for p in skip}
    stack = [Path(folder)]
    while stack:
        here = stack.pop()
        if os.path.normcase(os.path.abspath(here)) in skipped or is_study_folder(here):
            continue
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable or vanished folder: list what can be listed
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                subdirs.append(Path(entry.path))
            elif Path(entry.name).suffix.lower() in IMAGE_SUFFIXES:
                yield Path(entry.path)
        stack.extend(reversed(subdirs))


def list_image_files(folder: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Image files under folder (recursively), sorted; hidden files and study folders skipped."""
    return sorted(iter_image_files(folder, skip))
