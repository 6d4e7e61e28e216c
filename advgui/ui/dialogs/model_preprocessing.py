"""Asking how images become a model's input, for a bare .onnx that does not say.

A model carries its preprocessing in advgui's metadata, in ``M.preprocessor_config.json`` beside
it, or in its Optimum export folder; one that has none of these cannot classify anything. Rather
than naming command-line flags to a window user, the window asks here: input size, resize and
crop, mean and std (with the usual presets), and a class-names file (offering the one beside the
model), showing the model's input and output shapes to go by. The answer is saved beside the
model in the same format the CLI reads, so the next open goes straight in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import onnx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from advgui.core.model.classes import ClassList
from advgui.core.model.preprocess import MAX_INPUT_SIZE, Preprocessing
from advgui.core.model.registry import shipped_models
from advgui.core.model.sidecar import describe_io, model_file, read_model_sidecar, sidecar_path

# Mean and std as the model's authors write them: 0-1 units (pixel / 255), as in the sidecar's
# image_mean and image_std. Preprocessing itself works in 0-255 pixel units (times 255).
PRESETS: dict[str, tuple[str, str]] = {
    "torchvision (ImageNet)": ("0.485, 0.456, 0.406", "0.229, 0.224, 0.225"),
    "Inception: [-1, 1]": ("0.5", "0.5"),
    "Raw pixels 0–255": ("0", "1/255"),
}
CUSTOM = "Custom"
DEFAULT_SIZE = 224
DEFAULT_CROP = 0.875  # torchvision's and Inception's: resize to 256, crop 224


@dataclass(frozen=True)
class ModelAnswer:
    """What the user said about a model: its preprocessing and class-names file."""
    preprocessing: Preprocessing
    labels: Path | None


def needs_preprocessing(spec: str) -> bool:
    """True for a user's model with no preprocessing anywhere (metadata, sidecar, Optimum folder).
    A file that cannot be read is not asked about: its load fails with the reason."""
    if not spec or spec in {e.name for e in shipped_models()}:
        return False
    try:
        path = model_file(Path(spec))
        if not path.is_file() or read_model_sidecar(path) is not None:
            return False
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # SidecarError, OSError, protobuf's DecodeError: the load says why
        return False
    return bool(model.graph.node) and not any(
        p.key == "advgui.input_size" for p in model.metadata_props)


def labels_beside(path: Path) -> list[Path]:
    """Class-names files beside the model, the likeliest first: M.labels.txt, labels.txt, then
    any *labels*.txt."""
    path = model_file(path)
    found = [path.with_suffix(".labels.txt"), path.parent / "labels.txt",
             *sorted(path.parent.glob("*labels*.txt"))]
    return list(dict.fromkeys(p for p in found if p.is_file()))


def parse_triple(text: str, what: str) -> tuple[float, float, float]:
    """'0.485, 0.456, 0.406', one value for all channels, or fractions such as '1/255'."""
    values = []
    for item in text.replace(";", ",").split(","):
        item = item.strip()
        try:
            if "/" in item:
                num, den = item.split("/", 1)
                values.append(float(num) / float(den))
            else:
                values.append(float(item))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{what}: {item or 'an empty value'!r} is not a number") from None
    if len(values) == 1:
        values *= 3
    if len(values) != 3:
        raise ValueError(f"{what}: give 1 or 3 values (R, G, B), not {len(values)}")
    return values[0], values[1], values[2]


def _beside(field: QWidget, note: QLabel) -> QHBoxLayout:
    """A small field with a grey note after it, rather than a field stretched across."""
    row = QHBoxLayout()
    row.addWidget(field)
    row.addWidget(note, 1)
    return row


def _dims_text(dims: list) -> str:
    return " × ".join(str(d) for d in dims) if dims else "scalar"


class PreprocessingDialog(QDialog):
    """The questions; `answer()` is the validated reply once accepted."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = model_file(Path(path))
        self.setWindowTitle(f"How does {self.path.name} read images?")
        self.setObjectName("model-preprocessing")
        try:
            io = describe_io(self.path)
        except Exception:  # the load that follows reports an unreadable file
            io = {"inputs": [], "outputs": []}
        self.fixed_size = self._fixed_size(io)
        self.classes = self._classes(io)

        intro = QLabel(
            f"<b>{self.path.name}</b> does not say how images become its input. Answer for it "
            f"once: the answer is saved beside the model as <i>{sidecar_path(self.path).name}"
            "</i>, so it opens directly next time.")
        intro.setWordWrap(True)

        shapes = QGroupBox("The model")
        sf = QFormLayout(shapes)
        for kind, title in (("inputs", "Input"), ("outputs", "Output")):
            for name, dims in io[kind] or [("?", [])]:
                label = QLabel(f"{name}: {_dims_text(dims)}")
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                sf.addRow(title, label)

        self.size = QSpinBox()
        self.size.setRange(8, MAX_INPUT_SIZE)
        self.size.setSuffix(" px")
        self.size.setValue(self.fixed_size or DEFAULT_SIZE)
        self.size.setToolTip("The side of the square image the model reads")
        self.size.setEnabled(not self.fixed_size)  # nothing to choose: the model says it
        hint = ("fixed by the model" if self.fixed_size
                else "the model takes any size: give the one it was trained at")
        self.size_hint = QLabel(hint)
        self.size_hint.setStyleSheet("color: gray")

        self.resize_mode = QComboBox()
        self.resize_mode.addItem("Resize the shorter side, then crop the centre", "crop")
        self.resize_mode.addItem("Stretch to a square (aspect ratio not kept)", "stretch")
        self.crop = QDoubleSpinBox()
        self.crop.setRange(0.1, 1.0)
        self.crop.setDecimals(3)
        self.crop.setSingleStep(0.025)
        self.crop.setValue(DEFAULT_CROP)
        self.crop.setToolTip("The crop's share of the resized shorter side (0.875: resize to "
                             "256, crop 224)")
        self.resample = QComboBox()
        self.resample.addItem("Bilinear", "bilinear")
        self.resample.addItem("Bicubic", "bicubic")
        self.geometry_text = QLabel()  # what the numbers do to a photo, in pixels
        self.geometry_text.setStyleSheet("color: gray")

        self.preset = QComboBox()
        for name in PRESETS:
            self.preset.addItem(name, name)
        self.preset.addItem(CUSTOM, CUSTOM)
        self.mean = QLineEdit()
        self.std = QLineEdit()
        for edit in (self.mean, self.std):
            edit.setToolTip("0-1 units (pixel / 255): 1 value, or 3 for R, G, B; '1/255' is "
                            "accepted")
        units = QLabel("model input = (pixel / 255 − mean) / std, per channel R, G, B")
        units.setStyleSheet("color: gray")

        self.labels = QComboBox()
        self.labels.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.labels.setMinimumContentsLength(24)
        for found in labels_beside(self.path):
            self.labels.addItem(found.name, str(found))
            self.labels.setItemData(self.labels.count() - 1, str(found),
                                    Qt.ItemDataRole.ToolTipRole)
        self.labels.addItem("None: classes are numbered", "")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        labels_row = QHBoxLayout()
        labels_row.addWidget(self.labels, 1)
        labels_row.addWidget(browse)

        form_box = QGroupBox("Preprocessing")
        form = QFormLayout(form_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Input size", _beside(self.size, self.size_hint))
        form.addRow("Resize", self.resize_mode)
        form.addRow("Crop fraction", _beside(self.crop, self.geometry_text))
        form.addRow("Resampling", self.resample)
        form.addRow("Normalisation", self.preset)
        form.addRow("Mean", self.mean)
        form.addRow("Std", self.std)
        form.addRow("", units)
        form.addRow("Class names", labels_row)

        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Open model")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(shapes)
        layout.addWidget(form_box)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

        self._setting_preset = False
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        for edit in (self.mean, self.std):
            edit.textEdited.connect(self._edited_by_hand)
        for signal in (self.size.valueChanged, self.crop.valueChanged,
                       self.resize_mode.currentIndexChanged, self.labels.currentIndexChanged,
                       self.resample.currentIndexChanged, self.mean.textChanged,
                       self.std.textChanged):
            signal.connect(self._check)
        self._preset_chosen()

    # -- what the model says -------------------------------------------------------------------
    @staticmethod
    def _fixed_size(io: dict) -> int | None:
        """The input's side when the model fixes it (N x 3 x S x S)."""
        for _, dims in io["inputs"][:1]:
            if len(dims) == 4 and isinstance(dims[2], int) and dims[2] == dims[3] and dims[2] > 0:
                return dims[2]
        return None

    @staticmethod
    def _classes(io: dict) -> int | None:
        for _, dims in io["outputs"][:1]:
            if dims and isinstance(dims[-1], int) and dims[-1] > 0:
                return dims[-1]
        return None

    # -- reactions -----------------------------------------------------------------------------
    def _preset_chosen(self) -> None:
        name = self.preset.currentData()
        if name in PRESETS:
            self._setting_preset = True
            self.mean.setText(PRESETS[name][0])
            self.std.setText(PRESETS[name][1])
            self._setting_preset = False
        self._check()

    def _edited_by_hand(self) -> None:
        if not self._setting_preset:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(self.preset.findData(CUSTOM))
            self.preset.blockSignals(False)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Class names file", str(self.path.parent),
                                              "Class names (*.txt *.csv *.tsv);;All files (*)")
        if path:
            self.choose_labels(Path(path))

    def choose_labels(self, path: Path) -> None:
        """Select a class-names file (as Browse… does)."""
        i = self.labels.findData(str(path))
        if i < 0:
            self.labels.insertItem(0, path.name, str(path))
            self.labels.setItemData(0, str(path), Qt.ItemDataRole.ToolTipRole)
            i = 0
        self.labels.setCurrentIndex(i)

    def _check(self) -> None:
        stretch = self.resize_mode.currentData() == "stretch"
        self.crop.setEnabled(not stretch)
        size = self.size.value()
        if stretch:
            self.geometry_text.setText(f"not used: each image becomes {size} × {size} px")
        else:
            short = round(size / self.crop.value())
            self.geometry_text.setText(f"shorter side to {short} px, centre {size} × {size} "
                                       "px kept")
        try:
            self.answer()
        except ValueError as exc:
            self.problem.setText(str(exc))
            self.ok.setEnabled(False)
        else:
            self.problem.setText("")
            self.ok.setEnabled(True)

    def accept(self) -> None:
        """Enter in a field accepts too: only a valid answer closes the dialog."""
        try:
            self.answer()
        except ValueError:
            self._check()
            return
        super().accept()

    # -- the reply -----------------------------------------------------------------------------
    def answer(self) -> ModelAnswer:
        """The validated answer; ValueError says, in one line, what is wrong."""
        size = self.size.value()
        if self.fixed_size and size != self.fixed_size:
            raise ValueError(f"The model reads {self.fixed_size} × {self.fixed_size} px images: "
                             f"the input size must be {self.fixed_size}.")
        mean = parse_triple(self.mean.text(), "Mean")
        std = parse_triple(self.std.text(), "Std")
        stretch = self.resize_mode.currentData() == "stretch"
        preprocessing = Preprocessing(
            size=size, mean=tuple(255 * m for m in mean),  # type: ignore[arg-type]
            std=tuple(255 * s for s in std),  # type: ignore[arg-type]
            crop_fraction=1.0 if stretch else self.crop.value(),
            resample=self.resample.currentData(), stretch=stretch)
        labels = Path(self.labels.currentData()) if self.labels.currentData() else None
        if labels is not None:
            try:
                count = len(ClassList.from_file(labels))
            except (OSError, UnicodeDecodeError, ValueError, IndexError) as exc:
                raise ValueError(f"{labels.name}: cannot read it ({exc})") from None
            if self.classes and count != self.classes:
                raise ValueError(f"{labels.name} names {count} classes; the model has "
                                 f"{self.classes} outputs.")
        return ModelAnswer(preprocessing, labels)
