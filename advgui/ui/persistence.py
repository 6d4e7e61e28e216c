"""What the window remembers between runs: geometry, attack settings, tier thresholds, the model,
the last folder, the browser's thumbnail size and the presentation scale (the batch dialog keeps
its own choices)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

ATTACK_KEYS = ("method", "target", "class", "eps", "alpha", "steps", "kurakin")


def first_size(window, wanted: tuple[int, int]) -> tuple[int, int]:
    """The first launch's size: what was wanted, within the screen's free area."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return wanted
    free = screen.availableGeometry()
    # resize() sets the inside of the window: leave room for a window manager's frame.
    return min(wanted[0], free.width() - 16), min(wanted[1], free.height() - 48)


def restore(window, wanted: tuple[int, int] = (1400, 860)) -> None:
    settings = window.settings
    geometry = settings.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(*first_size(window, wanted))
    window.attack_panel.restore({k: settings.value(f"attack/{k}") for k in ATTACK_KEYS})
    try:
        high = float(settings.value("tiers/high", window.tiers.high.value()))
        medium = float(settings.value("tiers/medium", window.tiers.medium.value()))
    except (TypeError, ValueError):
        high, medium = window.tiers.high.value(), window.tiers.medium.value()
    if medium < high:
        window.tiers.medium.setValue(min(medium, window.tiers.medium.value()))
        window.tiers.high.setValue(high)
        window.tiers.medium.setValue(medium)
    window.state.model_spec = str(settings.value("model/spec", "") or "")
    try:
        icon = int(settings.value("browser/thumbnail_size", window.browser.size.value()))
    except (TypeError, ValueError):
        icon = window.browser.size.value()
    window.browser.size.setValue(icon)  # the slider keeps it within its range
    try:
        scale = float(settings.value("view/font_scale", 1.0))
    except (TypeError, ValueError):
        scale = 1.0
    if scale != 1.0:
        window.set_font_scale(scale)


def remember(window) -> None:
    settings = window.settings
    settings.setValue("window/geometry", window.saveGeometry())
    panel = window.attack_panel
    settings.setValue("attack/method", panel.method.currentData())
    settings.setValue("attack/target", panel.target.currentData())
    settings.setValue("attack/class", panel.picker.currentText())  # "281: tabby", or as typed
    settings.setValue("attack/eps", panel.eps.value())
    settings.setValue("attack/alpha", panel.alpha.value())
    settings.setValue("attack/steps", panel.steps.value())
    settings.setValue("attack/kurakin", panel.kurakin.isChecked())
    settings.setValue("tiers/high", window.tiers.high.value())
    settings.setValue("tiers/medium", window.tiers.medium.value())
    settings.setValue("model/spec", window.state.model_spec)
    settings.setValue("browser/thumbnail_size", window.browser.size.value())
    settings.setValue("view/font_scale", window.state.font_scale)
    if window.folder:
        settings.setValue("browser/last_folder", window.folder)
    settings.sync()
