"""The parts' adversarial PNGs, checked and copied without following a link.

Each row's PNG must be a plain file of its part under the name the study gives that row, and,
where the row has an adversarial_sha256, hold exactly the bytes the study wrote (two PNGs whose
bytes were swapped are refused). Rows of older releases have that cell empty: their PNGs are
checked for name and kind only, not for their bytes.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from advgui.core.records.safe_write import (BINARY, NOFOLLOW, atomic_write_file, not_own_file,
                                            open_folder, real_subfolder)
from advgui.core.records.schema import image_key, png_sha256
from advgui.core.study.merge_parts import Part


class _PartPngs:
    """The parts' adversarial/ folders, opened without following a link, and each PNG opened
    relative to its own: a PNG replaced by a link (or a hard link, a FIFO) is refused, never
    read, and nothing is read outside the parts."""

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts
        self.fds: dict[Path, int | None] = {}

    def _folder_fd(self, part: Path) -> int | None:
        if part not in self.fds:
            fd = open_folder(part)
            try:
                self.fds[part] = None if fd is None else os.open(
                    "adversarial", os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                raise ValueError(f"{part / 'adversarial'}: {self._why(exc)}; run that shard "
                                 "again to make its PNGs, then merge again") from None
            finally:
                if fd is not None:
                    os.close(fd)
        return self.fds[part]

    @staticmethod
    def _why(exc: OSError) -> str:
        return ("it is a symbolic link (merge reads only inside the parts)"
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) else
                "it is missing" if exc.errno == errno.ENOENT else exc.strerror or str(exc))

    def open(self, part: Path, cell: str) -> int:
        """A descriptor of the part's PNG the row's cell names (checked by merge_checks'
        _check_rows to be adversarial/NAME)."""
        name = cell[len("adversarial/"):]
        path = part / "adversarial" / name
        folder = self._folder_fd(part)
        try:
            fd = os.open(name if folder is not None else path, os.O_RDONLY | NOFOLLOW | BINARY,
                         dir_fd=folder)
        except OSError as exc:
            raise ValueError(f"{path}: {self._why(exc)}; run that shard again to make it, "
                             "then merge again") from None
        why = not_own_file(fd, "it may be a file from outside the part")
        if why:
            os.close(fd)
            raise ValueError(f"{path}: {why}; merge copies only the PNGs a shard wrote. Run that "
                             "shard again to make it, then merge again")
        return fd

    def close(self) -> None:
        for fd in self.fds.values():
            if fd is not None:
                os.close(fd)
        self.fds.clear()


def _sources(parts: list[Part], rows: list[dict]) -> list[tuple[Path, dict]]:
    owner = {image_key(r): p.folder for p in parts for r in p.rows}
    return [(owner[image_key(r)], r) for r in rows if r["adversarial_png"]]


def check_sources(parts: list[Part], rows: list[dict]) -> None:
    """Every PNG the merged rows name must be there, a plain file of its part, with the bytes
    the study wrote (its row's adversarial_sha256), before anything is written."""
    pngs = _PartPngs(parts)
    missing = []
    try:
        for part, r in _sources(parts, rows):
            try:
                fd = pngs.open(part, r["adversarial_png"])
            except ValueError as exc:
                if not (part / r["adversarial_png"]).exists() and \
                        not (part / r["adversarial_png"]).is_symlink():
                    missing.append(part / r["adversarial_png"])
                    continue
                raise exc from None
            with os.fdopen(fd, "rb") as fh:
                digest = png_sha256(fh.read())
            if r.get("adversarial_sha256") and digest != r["adversarial_sha256"]:
                _refuse_other_bytes(next(p for p in parts if p.folder == part), r, digest)
    finally:
        pngs.close()
    if missing:
        raise ValueError(f"{len(missing)} adversarial PNG(s) named by the parts' rows are "
                         f"missing (e.g. {missing[0]}); run that shard again to make them")


def _refuse_other_bytes(part: Part, row: dict, digest: str) -> None:
    """A row's PNG whose bytes are not those the study wrote: swapped with another row's PNG
    (named), or changed."""
    line = next(n for r, n in zip(part.rows, part.lines) if image_key(r) == image_key(row))
    other = next((r["adversarial_png"] for r in part.rows
                  if r.get("adversarial_sha256") == digest and r is not row), None)
    what = (f"holds the bytes of {part.folder / other}" if other else
            "holds bytes the study never wrote there")
    raise ValueError(f"{part.folder / 'images.csv'} line {line}: its PNG "
                     f"{part.folder / row['adversarial_png']} {what} (its SHA-256 differs from "
                     "the row's adversarial_sha256); the part's PNGs were swapped or edited. "
                     "Restore them (or run that shard again into a new folder), then merge again")


def copy_pngs(parts: list[Part], rows: list[dict], out: Path) -> None:
    adversarial = real_subfolder(out, "adversarial")
    fd = open_folder(adversarial)
    pngs = _PartPngs(parts)
    try:
        for part, r in _sources(parts, rows):
            name = r["adversarial_png"][len("adversarial/"):]
            with os.fdopen(pngs.open(part, r["adversarial_png"]), "rb") as fh:
                atomic_write_file(adversarial / name, lambda dst, s=fh: shutil.copyfileobj(s, dst),
                                  dir_fd=fd)
    finally:
        pngs.close()
        if fd is not None:
            os.close(fd)
