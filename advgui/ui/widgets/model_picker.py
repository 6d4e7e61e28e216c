"""The model picker: shipped models plus any ONNX classifier the user opens."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QWidget

from advgui.core.model.registry import shipped_models

OPEN_OTHER = ""


class ModelPicker(QComboBox):
    modelChosen = Signal(str)  # a shipped model's name or an .onnx path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for entry in shipped_models():
            self.addItem(entry.title, entry.name)
        self.addItem("Open ONNX model…", OPEN_OTHER)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(30)
        self._current = ""
        self.activated.connect(self._picked)

    def _picked(self, index: int) -> None:
        spec = self.itemData(index)
        if spec == OPEN_OTHER:
            path, _ = QFileDialog.getOpenFileName(self, "Open ONNX classifier", "",
                                                  "ONNX models (*.onnx)")
            if not path:
                self.show_current(self._current)
                return
            spec = path
            if self.findData(spec) < 0:
                self.insertItem(self.count() - 1, Path(path).name, spec)
        self.show_current(spec)
        self.modelChosen.emit(spec)

    def show_current(self, spec: str) -> None:
        """Select the entry of the model now loaded (by name or path)."""
        self._current = spec
        i = self.findData(spec)
        if i < 0 and spec.lower().endswith(".onnx"):
            self.insertItem(self.count() - 1, Path(spec).name, spec)
            i = self.findData(spec)
        if i >= 0:
            self.setCurrentIndex(i)

    def forget(self, spec: str) -> None:
        """Drop a user model that failed to load from the list."""
        i = self.findData(spec)
        if i >= 0 and spec.lower().endswith(".onnx"):
            self.removeItem(i)
