"""Install the launcher, icons and MIME associations into the user's XDG folders (Linux)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "packaging" / "linux" / "advgui.desktop"
ICONS = ROOT / "resources" / "icons"


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _executable() -> str:
    """The advgui launcher beside this Python (a venv's bin/), else whatever PATH finds."""
    beside = Path(sys.executable).with_name("advgui")
    return str(beside) if beside.exists() else (shutil.which("advgui") or "advgui")


def _run_quietly(*cmd: str) -> None:
    if shutil.which(cmd[0]):
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def installed_paths(base: Path | None = None) -> list[Path]:
    base = base or data_home()
    paths = [base / "applications" / "advgui.desktop",
             base / "icons" / "hicolor" / "scalable" / "apps" / "advgui.svg"]
    for png in sorted(ICONS.glob("advgui-*.png")):
        size = png.stem.split("-")[1]
        paths.append(base / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "advgui.png")
    return paths


def install(base: Path | None = None) -> list[Path]:
    base = base or data_home()
    exe = _executable()
    text = TEMPLATE.read_text()
    text = text.replace("Exec=advgui %F", f'Exec="{exe}" %F').replace("TryExec=advgui", f"TryExec={exe}")
    written = []
    desktop = base / "applications" / "advgui.desktop"
    desktop.parent.mkdir(parents=True, exist_ok=True)
    desktop.write_text(text)
    written.append(desktop)
    svg = base / "icons" / "hicolor" / "scalable" / "apps" / "advgui.svg"
    svg.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICONS / "advgui.svg", svg)
    written.append(svg)
    for png in sorted(ICONS.glob("advgui-*.png")):
        size = png.stem.split("-")[1]
        target = base / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "advgui.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)
        written.append(target)
    # Registers the MimeType= line so file managers offer "Open with advgui"; defaults untouched.
    _run_quietly("update-desktop-database", str(base / "applications"))
    _run_quietly("gtk-update-icon-cache", "-q", "-t", str(base / "icons" / "hicolor"))
    return written


def uninstall(base: Path | None = None) -> list[Path]:
    removed = []
    for path in installed_paths(base):
        if path.exists():
            path.unlink()
            removed.append(path)
    _run_quietly("update-desktop-database", str((base or data_home()) / "applications"))
    return removed
