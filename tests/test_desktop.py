"""The launcher: valid .desktop entry, install and uninstall into XDG folders."""

from __future__ import annotations

import shutil
import subprocess

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
