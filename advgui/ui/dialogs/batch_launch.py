"""File › Batch Run: which batch dialog the window shows. The window keeps one; a running
study's dialog, or one whose study finished unseen, is shown again, else a new one opens from the
window's folder, model and tier thresholds and is wired to its status bar and study offers.
Apart from the dialog itself (batch_dialog.py): this is the window's side; it only reads the
window, while the dialog is given just a classifier, a folder and the thresholds."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from advgui.ui.dialogs.batch_dialog import BatchDialog


def open_batch_dialog(window, current: BatchDialog | None) -> BatchDialog | None:
    """File > Batch Run: the study on the window's folder, model and tier thresholds. A running
    study's dialog (``current``), or one whose study finished in the background and was not
    seen since, is shown again; otherwise a new one starts from the window's current state.
    Returns the dialog now shown, which the window keeps, or None when none could open (the
    window keeps ``current``). Only reads the window: it owns its dialog."""
    if current is not None and (current.running or current.unseen_result):
        current.unseen_result = False
        current.show()
        current.raise_()
        current.activateWindow()
        return current
    if window.engine.classifier is None or window.state.model is None or window.state.loading:
        window.statusBar().showMessage("The model is still loading.", 5000)
        return None
    try:
        thresholds = window.tiers.thresholds()
    except ValueError as exc:
        QMessageBox.warning(window, "Tier thresholds", f"Fix the tier thresholds first: {exc}.")
        return None
    if current is not None:
        current.deleteLater()
    dialog = BatchDialog(window.engine.classifier, window.folder, thresholds, window)
    dialog.setModal(False)
    dialog.restore_choices()
    dialog.progressText.connect(window.batch_label.setText)
    from advgui.ui.dialogs.study_viewer import drop_offer, offer_finished_study  # noqa: PLC0415

    dialog.progressText.connect(lambda text: drop_offer(window) if text.startswith("Batch: ")
                                else None)

    dialog.studyFinished.connect(lambda outcome: offer_finished_study(window, dialog, outcome))
    dialog.show()
    return dialog
