"""The launcher: valid .desktop entry, install and uninstall into XDG folders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from advgui import desktop


def test_install_and_uninstall(tmp_path) -> None:
    written = desktop.install(tmp_path)
    entry = tmp_path / "applications" / "advgui.desktop"
    assert entry in written
    text = entry.read_text()
    assert "Exec=" in text and "%F" in text and "Icon=advgui" in text
    assert "Categories=Science;Graphics;Education;" in text and "MimeType=image/jpeg;" in text
    assert (tmp_path / "icons/hicolor/256x256/apps/advgui.png").exists()
    assert (tmp_path / "icons/hicolor/scalable/apps/advgui.svg").exists()
    removed = desktop.uninstall(tmp_path)
    assert set(removed) == {p for p in written}
    assert not entry.exists()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate not installed (Debian: desktop-file-utils)")
def test_desktop_entry_validates(tmp_path) -> None:
    desktop.install(tmp_path)
    for path in (desktop.TEMPLATE, tmp_path / "applications" / "advgui.desktop"):
        result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_no_display_explains_itself() -> None:
    import os
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    run = subprocess.run([sys.executable, "-m", "advgui"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2
    assert "no display found" in run.stderr and "advgui-cli" in run.stderr


# The Windows and macOS branches, run here with sys.platform set: where each file goes and what
# it holds (the .lnk itself needs Windows' shell, so its writer is replaced by a recorder).

def test_windows_start_menu_shortcut(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    made = {}

    def shortcut(link, target, icon):
        made.update(link=link, target=target, icon=icon)
        link.write_text("lnk")

    monkeypatch.setattr(desktop, "_write_shortcut", shortcut)
    written = desktop.install()
    programs = tmp_path / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs"
    assert written == [programs / "advgui.lnk", tmp_path / "Local" / "advgui" / "advgui.ico"]
    assert made["link"] == programs / "advgui.lnk" and made["icon"] == written[1]
    assert made["target"].endswith("advgui.exe") or made["target"].endswith("advgui")
    from PIL import Image
    assert Image.open(written[1]).format == "ICO"
    assert desktop.uninstall() == written and not any(p.exists() for p in written)


def test_macos_applications_bundle(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("HOME", str(tmp_path))
    written = desktop.install()
    app = tmp_path / "Applications" / "advgui.app"
    assert set(written) == {app / "Contents/Info.plist", app / "Contents/MacOS/advgui",
                            app / "Contents/Resources/advgui.icns"}
    import plistlib
    info = plistlib.loads((app / "Contents/Info.plist").read_bytes())
    assert info["CFBundleExecutable"] == "advgui" and info["CFBundlePackageType"] == "APPL"
    script = app / "Contents/MacOS/advgui"
    assert script.read_text().startswith("#!/bin/sh\nexec ") and os.access(script, os.X_OK)
    from PIL import Image
    assert Image.open(app / "Contents/Resources/advgui.icns").format == "ICNS"
    assert set(desktop.uninstall()) == set(written) and not app.exists()


def test_other_os_says_to_use_the_bundle(monkeypatch) -> None:
    monkeypatch.setattr(sys, "platform", "sunos5")
    with pytest.raises(desktop.UnsupportedDesktop, match="not supported on sunos5.*bundle"):
        desktop.install()
    assert issubclass(desktop.UnsupportedDesktop, OSError)
