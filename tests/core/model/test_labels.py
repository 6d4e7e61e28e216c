"""Ground truth in the formats researchers have: each parsed, and hostile variants refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from advgui.core.model.labels import LabelsError, find_labels_file, load_labels

WNIDS = [f"n{i:08d}" for i in range(10)]


def _folder(tmp_path: Path) -> Path:
    images = tmp_path / "val" / "images"
    images.mkdir(parents=True)
    for name in ("ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG"):
        (images / name).write_bytes(b"x")
    return images


def test_labels_csv_one_level_up_with_images_keys(tmp_path) -> None:
    images = _folder(tmp_path)
    (images.parent / "labels.csv").write_text(
        "file,class_index,wnid\nimages/ILSVRC2012_val_00000001.JPEG,3,x\n"
        "images/ILSVRC2012_val_00000002.JPEG,7,x\n")
    assert find_labels_file(images) == images.parent / "labels.csv"
    labels = load_labels(images, 10, WNIDS)
    assert labels.truth(images / "ILSVRC2012_val_00000001.JPEG", images) == 3
    assert labels.truth(images / "ILSVRC2012_val_00000002.JPEG", images) == 7


def test_caffe_val_txt(tmp_path) -> None:
    images = _folder(tmp_path)
    (images / "val.txt").write_text("ILSVRC2012_val_00000001.JPEG 5\r\n"
                                    "ILSVRC2012_val_00000002.JPEG\t9\r\n\r\n")
    labels = load_labels(images, 10, WNIDS)
    assert labels.truth(images / "ILSVRC2012_val_00000001.JPEG", images) == 5
    assert labels.truth(images / "ILSVRC2012_val_00000002.JPEG", images) == 9


def test_kaggle_loc_val_solution(tmp_path) -> None:
    images = _folder(tmp_path)
    (images.parent / "LOC_val_solution.csv").write_text(
        "ImageId,PredictionString\nILSVRC2012_val_00000001,n00000004 1 2 3 4 n00000004 5 6 7 8\n"
        "ILSVRC2012_val_00000002,n00000006 1 2 3 4\n")
    labels = load_labels(images, 10, WNIDS)
    assert labels.truth(images / "ILSVRC2012_val_00000001.JPEG", images) == 4
    assert labels.truth(images / "ILSVRC2012_val_00000002.JPEG", images) == 6


def test_wnid_prefix_and_folder_without_a_labels_file(tmp_path) -> None:
    folder = tmp_path / "train"
    (folder / "n00000002").mkdir(parents=True)
    labels = load_labels(folder, 10, WNIDS)
    assert labels.truth(folder / "n00000002" / "a.JPEG", folder) == 2
    assert labels.truth(folder / "n00000008_12.JPEG", folder) == 8
    assert labels.truth(folder / "cat.jpg", folder) == -1


@pytest.mark.parametrize("name, text, message", [
    ("labels.csv", "file,class_index\na.png,1\nb.png,1000\n", "labels.csv, line 3: class index 1000 is outside 0-9"),
    ("labels.csv", "file,class_index\na.png,one\n", "line 2: class index 'one' is not a whole number"),
    ("labels.csv", "file,class_index\na.png,1\na.png,2\n", "line 3: 'a.png' is labelled twice"),
    ("labels.csv", "file,class_index\na.png\n", "line 2: 1 cells, expected 2"),
    ("val.txt", "a.png 3\nthis line is wrong\n", "val.txt, line 2: expected 'FILE CLASS_INDEX'"),
    ("val.txt", "a.png -1\n", "class index -1 is outside 0-9"),
    ("LOC_val_solution.csv", "ImageId,PredictionString\na,n99999999 1 2 3 4\n", "line 2: 'n99999999' is not a class"),
    ("labels.csv", "", "the labels file is empty"),
])
def test_hostile_labels_files_name_file_and_line(tmp_path, name, text, message) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(LabelsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_labels(tmp_path, 10, WNIDS)


def test_labels_not_utf8_or_missing(tmp_path) -> None:
    (tmp_path / "labels.csv").write_bytes(b"file,class_index\n\xff\xfe,1\n")
    with pytest.raises(LabelsError, match="not UTF-8"):
        load_labels(tmp_path, 10, WNIDS)
    with pytest.raises(LabelsError, match="labels file not found"):
        load_labels(tmp_path, 10, WNIDS, path=tmp_path / "nope.csv")
