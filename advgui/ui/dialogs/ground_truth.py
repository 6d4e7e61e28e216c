"""The true label of the image to attack 'away from its true label', or a message saying why not."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from advgui.core.model.labels import Labels, LabelsError, load_labels

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


class FolderTruth:
    """The true labels of the images a window lists, read once per folder and model: the
    browser marks each image right or wrong, and the status bar counts them."""

    def __init__(self) -> None:
        self._labels: dict[Path, Labels] = {}
        self._model = ""

    def load(self, paths: list[str], info) -> str:
        """Read the labels of every folder in ``paths``; a message if a labels file is broken."""
        if info.sha256 != self._model:
            self._labels.clear()
            self._model = info.sha256
        problems = []
        for folder in sorted({Path(p).parent for p in paths} - set(self._labels)):
            try:
                self._labels[folder] = load_labels(folder, len(info.class_names),
                                                   list(info.class_ids))
            except LabelsError as exc:
                self._labels[folder] = Labels()
                problems.append(str(exc))
        return f"True labels not read: {problems[0]}" if problems else ""

    def label(self, path: str, info) -> tuple[int, str]:
        labels = self._labels.get(Path(path).parent)
        truth = labels.truth(Path(path), Path(path).parent) if labels else -1
        return truth, info.class_names[truth] if 0 <= truth < len(info.class_names) else ""

    @staticmethod
    def score(images) -> str:
        """' · ✓ 41 of 50 labelled': the classified images whose truth is known, and how many of
        them the model has right (the browser's ✓). Short: it shares the status bar."""
        right, known = images.truth_counts()
        return f" · ✓ {right:,} of {known:,} labelled" if known else ""
