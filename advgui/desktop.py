"""Add advgui to the desktop's application menu, per OS, for this user (no administrator):

- Linux: the launcher, icons and MIME associations in the XDG folders (~/.local/share).
- Windows: a Start-menu shortcut (%APPDATA%\\Microsoft\\Windows\\Start Menu\\Programs\\advgui.lnk)
  to advgui.exe beside this Python, with its icon in %LOCALAPPDATA%\\advgui.
- macOS: ~/Applications/advgui.app, a small app bundle whose executable starts the advgui beside
  this Python (it opens the app; files dropped on its Dock icon are not passed on).
- Anything else: UnsupportedDesktop, which says to start advgui from a terminal or use the bundle.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "packaging" / "linux" / "advgui.desktop"
ICONS = ROOT / "resources" / "icons"


class UnsupportedDesktop(OSError):
    """No application menu this module knows how to add to."""


def desktop_os() -> str:
    """linux, windows or macos: which branch of this module applies here."""
    if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
        return "linux"  # any XDG desktop
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    raise UnsupportedDesktop(f"install-desktop is not supported on {sys.platform}: start advgui "
                             "from a terminal, or use the bundle (README: Desktop launcher and bundle)")


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _executable() -> str:
    """The advgui launcher beside this Python (a venv's bin/ or Scripts\\), else whatever PATH
    finds."""
    name = "advgui.exe" if desktop_os() == "windows" else "advgui"
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which("advgui") or "advgui")


def start_menu() -> Path:
    """Windows: this user's Start-menu programs folder."""
    roaming = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
    return Path(roaming) / "Microsoft" / "Windows" / "Start Menu" / "Programs"


def _windows_icon_home() -> Path:
    return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "advgui"


def applications_home() -> Path:
    """macOS: this user's Applications folder (Launchpad and Spotlight list what is in it)."""
    return Path.home() / "Applications"


def default_base() -> Path:
    return {"linux": data_home, "windows": start_menu, "macos": applications_home}[desktop_os()]()


def _run_quietly(*cmd: str) -> None:
    if shutil.which(cmd[0]):
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _linux_paths(base: Path) -> list[Path]:
    paths = [base / "applications" / "advgui.desktop",
             base / "icons" / "hicolor" / "scalable" / "apps" / "advgui.svg"]
    for png in sorted(ICONS.glob("advgui-*.png")):
        size = png.stem.split("-")[1]
        paths.append(base / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "advgui.png")
    return paths


def _linux_install(base: Path) -> list[Path]:
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


def _windows_paths(base: Path) -> list[Path]:
    return [base / "advgui.lnk", _windows_icon_home() / "advgui.ico"]


def _write_shortcut(link: Path, target: str, icon: Path) -> None:
    """A .lnk through the Windows shell's COM object (pywin32, a dependency on Windows)."""
    from win32com.client import Dispatch  # noqa: PLC0415  # pragma: no cover - Windows only

    shortcut = Dispatch("WScript.Shell").CreateShortCut(str(link))  # pragma: no cover
    shortcut.Targetpath, shortcut.IconLocation = target, str(icon)  # pragma: no cover
    shortcut.Description = "See how easily an image classifier is fooled"  # pragma: no cover
    shortcut.save()  # pragma: no cover


def _windows_install(base: Path) -> list[Path]:
    from PIL import Image  # noqa: PLC0415

    link, icon = _windows_paths(base)
    icon.parent.mkdir(parents=True, exist_ok=True)
    Image.open(ICONS / "advgui-256.png").save(icon, sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    link.parent.mkdir(parents=True, exist_ok=True)
    _write_shortcut(link, _executable(), icon)
    return [link, icon]


MAC_APP = "advgui.app"
INFO_PLIST = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleName</key><string>advgui</string>
  <key>CFBundleIdentifier</key><string>org.advgui.launcher</string>
  <key>CFBundleExecutable</key><string>advgui</string>
  <key>CFBundleIconFile</key><string>advgui.icns</string>
  <key>CFBundlePackageType</key><string>APPL</string>
  <key>NSHighResolutionCapable</key><true/>
</dict>
</plist>
"""


def _macos_paths(base: Path) -> list[Path]:
    contents = base / MAC_APP / "Contents"
    return [contents / "Info.plist", contents / "MacOS" / "advgui", contents / "Resources" / "advgui.icns"]


def _macos_install(base: Path) -> list[Path]:
    from PIL import Image  # noqa: PLC0415

    plist, script, icns = _macos_paths(base)
    for path in (plist, script, icns):
        path.parent.mkdir(parents=True, exist_ok=True)
    plist.write_text(INFO_PLIST)
    script.write_text(f'#!/bin/sh\nexec "{_executable()}" "$@"\n')
    script.chmod(0o755)
    Image.open(ICONS / "advgui-512.png").save(icns)
    return [plist, script, icns]


def installed_paths(base: Path | None = None) -> list[Path]:
    """The files install() writes on this OS (base: the folder it writes into)."""
    base = base or default_base()
    return {"linux": _linux_paths, "windows": _windows_paths, "macos": _macos_paths}[desktop_os()](base)


def install(base: Path | None = None) -> list[Path]:
    """Add advgui to this user's application menu; the files written."""
    base = base or default_base()
    return {"linux": _linux_install, "windows": _windows_install, "macos": _macos_install}[desktop_os()](base)


def uninstall(base: Path | None = None) -> list[Path]:
    """Remove what install() wrote; the files removed."""
    base = base or default_base()
    removed = []
    for path in installed_paths(base):
        if path.exists():
            path.unlink()
            removed.append(path)
    if desktop_os() == "linux":
        _run_quietly("update-desktop-database", str(base / "applications"))
    elif desktop_os() == "macos":
        for folder in (base / MAC_APP / "Contents" / sub for sub in ("MacOS", "Resources")):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        for folder in (base / MAC_APP / "Contents", base / MAC_APP):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    return removed
