"""A damaged features.npz is rewritten by the next run of the study, as its docstring says: a
truncated file (a disk filled, a copy cut short) is a broken zip, and the rerun stopped with
'zipfile.BadZipFile: File is not a zip file' and a traceback, the manifest left as it was."""

from __future__ import annotations

import json

import pytest

from advgui.cli.main import main
from advgui.core.records.features_file import read_features
from tests.helpers.study import model_and_images, study_args


@pytest.mark.parametrize("damage", [lambda b: b[:300], lambda b: b[:-40], lambda b: b"junk"])
def test_a_damaged_features_file_is_rewritten_by_the_rerun(tmp_path, capsys, damage) -> None:
    model, folder, out = model_and_images(tmp_path)
    args = [str(a) for a in study_args(folder, out, model, "--methods", "fast")]
    assert main(args) == 0
    path = out / "features.npz"
    whole = read_features(path)
    path.write_bytes(damage(path.read_bytes()))
    assert read_features(path) is None
    capsys.readouterr()
    assert main(args) == 0
    assert "Traceback" not in capsys.readouterr().err
    again = read_features(path)
    assert again is not None and again.clean.keys() == whole.clean.keys()
    assert again.adversarial.keys() == whole.adversarial.keys()
    meta = json.loads((out / "feature_projection.json").read_text())
    assert meta["arrows"] == 16 and meta["rows_without_features"] == 0
    assert json.loads((out / "manifest.json").read_text())["cancelled"] is False
