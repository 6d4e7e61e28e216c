"""The model picker: shipped models plus any ONNX classifier the user opens (a file, or a
Hugging Face Optimum export folder holding model.onnx and its preprocessing)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QWidget

from advgui.core.file_names import shown_name
from advgui.core.model.registry import shipped_models

OPEN_FILE = ""
OPEN_FOLDER = "<open folder>"


def entry_title(spec: str) -> str:
    """A user model's entry: its file name; an export folder (or its model.onnx) by the folder,
    since every Optimum export is called model.onnx."""
    path = Path(spec)
    if path.name == "model.onnx":
        return shown_name(f"{path.parent.name}/{path.name}")
    return shown_name(path.name) + ("/" if path.is_dir() else "")


class ModelPicker(QComboBox):
    modelChosen = Signal(str)  # a shipped model's name, an .onnx path or an export folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shipped = set()
        for entry in shipped_models():
            self.addItem(entry.title, entry.name)
            self._shipped.add(entry.name)
        self.addItem("Open ONNX model…", OPEN_FILE)
        self.addItem("Open model folder…", OPEN_FOLDER)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(30)
        self._current = ""
        self.activated.connect(self._picked)

    def _is_user_model(self, spec: str) -> bool:
        return bool(spec) and spec not in self._shipped and spec != OPEN_FOLDER

    def _picked(self, index: int) -> None:
        spec = self.itemData(index)
        if spec == OPEN_FILE:
            self.open_file()
        elif spec == OPEN_FOLDER:
            self.open_folder()
        else:
            self.choose(spec)

    def open_file(self) -> None:
        """Ask for an .onnx file (an export folder's model.onnx also brings its preprocessing)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open ONNX classifier", self._start(),
                                              "ONNX models (*.onnx)")
        if path:
            self.choose(path)
        else:
            self.show_current(self._current)

    def open_folder(self) -> None:
        """Ask for a Hugging Face Optimum export folder (model.onnx, config.json,
        preprocessor_config.json)."""
        path = QFileDialog.getExistingDirectory(self, "Open model folder (Optimum export)",
                                                self._start())
        if path:
            self.choose(path)
        else:
            self.show_current(self._current)

    def _start(self) -> str:
        return str(Path(self._current).parent) if self._is_user_model(self._current) else ""

    def choose(self, spec: str) -> None:
        """Select a model as the user does: it is listed, selected and asked for."""
        self.show_current(spec)
        self.modelChosen.emit(spec)

    def show_current(self, spec: str) -> None:
        """Select the entry of the model now loaded (by name or path)."""
        self._current = spec
        i = self.findData(spec)
        if i < 0 and self._is_user_model(spec):
            self.insertItem(self.count() - 2, entry_title(spec), spec)
            self.setItemData(self.count() - 3, spec, Qt.ItemDataRole.ToolTipRole)  # the whole path
            i = self.findData(spec)
        if i >= 0:
            self.setCurrentIndex(i)

    def forget(self, spec: str) -> None:
        """Drop a user model that failed to load (or was not opened) from the list."""
        i = self.findData(spec)
        if i >= 0 and self._is_user_model(spec):
            self.removeItem(i)
