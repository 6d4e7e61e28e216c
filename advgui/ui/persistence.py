"""What the window remembers between runs: its geometry, the attack settings, the last folder."""

from __future__ import annotations

ATTACK_KEYS = ("method", "target", "eps")


def restore(window) -> None:
    geometry = window.settings.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(1400, 860)
    window.attack_panel.restore({k: window.settings.value(f"attack/{k}") for k in ATTACK_KEYS})


def remember(window) -> None:
    settings = window.settings
    settings.setValue("window/geometry", window.saveGeometry())
    panel = window.attack_panel
    settings.setValue("attack/method", panel.method.currentData())
    settings.setValue("attack/eps", panel.eps.value())
    settings.setValue("attack/target", window.attack_panel.target.currentData())
    if window.folder:
        settings.setValue("browser/last_folder", window.folder)
    settings.sync()
