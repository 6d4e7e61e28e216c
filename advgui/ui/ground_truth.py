"""The true label of the image to attack 'away from its true label', or a message saying why not."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from advgui.core.labels import LabelsError, load_labels

NO_LABEL = ("No label for this file: no labels.csv, val.txt or LOC_val_solution.csv in its folder "
            "or the one above lists it, and its name and folder carry no class id (wnid), so "
            "'away from true label' cannot be used.")


def truth_of(path: str, class_ids: tuple[str, ...] | list[str], num_classes: int) -> int:
    """The file's label from a labels file beside it or one level up, else its wnid; -1 if none."""
    folder = Path(path).parent
    return load_labels(folder, num_classes, list(class_ids)).truth(Path(path), folder)


def truth_or_explain(parent: QWidget, path: str, class_ids, num_classes: int) -> int | None:
    """The label, or None after telling the user why there is none."""
    try:
        truth = truth_of(path, class_ids, num_classes)
    except LabelsError as exc:
        QMessageBox.warning(parent, "Labels file problem", str(exc))
        return None
    if truth < 0:
        QMessageBox.information(parent, "No ground truth", NO_LABEL)
        return None
    return truth
