"""Switching the classifier: the request to the engine, the preprocessing question for a bare
model (and its answer written beside the model once it loads), and the engine's replies. The
model in use stays in use everywhere until another one has loaded."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from advgui.core.app_state.window_state import ModelInfo
from advgui.core.model.sidecar import sidecar_path, write_model_sidecar
from advgui.ui.dialogs.model_preprocessing import (ModelAnswer, PreprocessingDialog,
                                                   needs_preprocessing)


class ModelFlow(QObject):
    """Lives on the GUI thread, as the engine's signals do, so every handler may touch widgets."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.dialog: PreprocessingDialog | None = None  # the question open now
        self._to_save: dict[str, ModelAnswer] = {}  # answers written beside the model once it loads
        engine = window.engine
        engine.modelLoaded.connect(self._model_loaded)
        engine.modelFailed.connect(self._model_failed)
        engine.modelWarning.connect(self._model_warning)

    def switch(self, spec: str) -> None:
        """Load another classifier in the background; the folder is classified again once it is
        in use. Until then (and for good if it fails) the current model stays in use everywhere."""
        w = self.w
        if spec == w.state.model_spec and w.state.model is not None:
            return
        if spec not in w.engine.answers and needs_preprocessing(spec):
            self._ask_preprocessing(spec)
            return
        if w.attacking:  # its result would be the old model's; the engine would wait for it
            w.engine.cancel()
        w.state.model_requested(spec)
        w.requestModel.emit(spec, w.device)

    def _ask_preprocessing(self, spec: str) -> None:
        """A bare model that does not say how it reads images: ask (window-modal, so the
        window goes on drawing); Cancel keeps the model in use."""
        dialog = PreprocessingDialog(Path(spec), self.w)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._answered(spec, dialog.answer()))
        dialog.rejected.connect(lambda: self._not_answered(spec))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _answered(self, spec: str, answer: ModelAnswer) -> None:
        self.dialog = None
        self.w.engine.answers[spec] = (answer.preprocessing, answer.labels)
        self._to_save[spec] = answer
        self.switch(spec)

    def _not_answered(self, spec: str) -> None:
        w = self.w
        self.dialog = None
        w.model_picker.forget(spec)
        w.model_picker.show_current(w.state.model_spec)
        if w.state.model is not None:
            w.state.tell(f"Not opened; still using {w.state.model.name}.", 8000, about=("model",))

    def _save_answer(self, spec: str) -> None:
        """The answer worked: write it beside the model so the next open goes straight in, or
        keep it for this session where the folder cannot be written."""
        answer = self._to_save.pop(spec, None)
        if answer is None:
            return
        try:
            written = write_model_sidecar(Path(spec), answer.preprocessing, answer.labels)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.w.state.tell(
                f"Could not save {sidecar_path(Path(spec)).name} beside the model ({reason}): "
                "its preprocessing holds for this session only.", 20000, about=("model",))
            return
        self.w.engine.answers.pop(spec, None)
        self.w.state.tell(f"Saved {written.name} beside the model: it opens directly next time.",
                          10000, about=("model",))

    # -- the engine's replies ----------------------------------------------------------------------
    def _model_warning(self, message: str) -> None:
        """The model classifies, but its gradient cannot be built: the attack panel says why."""
        self.w.attack_panel.set_unavailable(message)
        self.w.state.tell(f"This model classifies but cannot be attacked: {message}",
                          about=("model",))

    def _model_loaded(self, info: ModelInfo) -> None:
        w = self.w
        before = w.state.model
        changed = before is None or before.sha256 != info.sha256
        if changed:  # the same classes keep the chosen target class
            w.attack_panel.set_classes(info.class_names, info.std)
            w.attack_panel.set_unavailable("")
        w.state.model_loaded(info)
        self._save_answer(info.spec)
        if changed:
            w.folders.model_changed()

    def _model_failed(self, failed: str, message: str) -> None:
        w = self.w
        if self._to_save.pop(failed, None) is not None:  # a wrong answer is not kept
            w.engine.answers.pop(failed, None)
        w.state.model_failed(failed)
        w.model_picker.forget(failed)
        if w.state.model is not None:
            message += f"\n\nStill using {w.state.model.name}."
        elif failed:  # nothing in use (a remembered model that is gone): the default instead
            message += "\n\nOpening the default model instead."
            w.state.model_requested("")
            w.requestModel.emit("", w.device)
        QMessageBox.critical(w, "Model could not be loaded", message)
