"""Where a save is offered: the folder of the last save, else Pictures/advgui; never inside the
folder being browsed, where the saved PNG would be listed as one more input photo (and attacked,
classified and counted in a study) at the next launch."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

LAST_SAVE_KEY = "save/last_folder"


def inside(path: Path, folder: str) -> bool:
    """Whether `path` is `folder` or under it (an empty folder contains nothing)."""
    if not folder:
        return False
    try:
        path.resolve().relative_to(Path(folder).resolve())
    except (ValueError, OSError):
        return False
    return True


def offered_folder(settings: QSettings, browsed: str) -> Path:
    """The folder a Save dialog opens in."""
    last = str(settings.value(LAST_SAVE_KEY, "") or "")
    if last and Path(last).is_dir() and not inside(Path(last), browsed):
        return Path(last)
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    for candidate in ([Path(pictures) / "advgui"] if pictures else []) + [Path.home() / "advgui"]:
        if inside(candidate, browsed):
            continue
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:  # a read-only home: the dialog still opens, somewhere writable is chosen
            continue
        return candidate
    return Path.home()


def remember_save(settings: QSettings, saved: str) -> None:
    """The folder a file was saved to is offered next time (unless it is being browsed then)."""
    settings.setValue(LAST_SAVE_KEY, str(Path(saved).parent))
