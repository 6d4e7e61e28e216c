"""Opening a user's model in the window as a user does: a bare .onnx asks how it reads images
(once: the answer is saved beside it), Cancel keeps the model in use, an Optimum export folder
opens with no question, and a model without gradient rules still classifies while the attack
panel says why it cannot be attacked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLabel

from advgui.core.model.preprocess import Preprocessing
from advgui.core.model.sidecar import sidecar_path
from tests.helpers.window import open_folder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INCEPTION = "Inception: [-1, 1]"


@pytest.fixture
def bare_model(tmp_path) -> Path:
    """A torchvision export (dynamic batch, 32 x 32 input, 10 classes) with no preprocessing
    anywhere, and a labels.txt beside it."""
    folder = tmp_path / "mine"
    folder.mkdir()
    path = folder / "resnet_dyn.onnx"
    shutil.copy(FIXTURES / "families" / "resnet" / "legacy_o17_dyn.onnx", path)
    (folder / "labels.txt").write_text("".join(f"animal {i}\n" for i in range(10)))
    return path


def _open_file(window, monkeypatch, path: Path) -> None:
    """File > Open ONNX Model…, choosing `path` in the file dialog."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.menu_actions["open_model"].trigger()


def _texts(dialog) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel)]


def test_a_bare_model_asks_once_and_the_answer_is_saved_beside_it(
        make_window, tiny_model, image_folder, bare_model, qtbot, monkeypatch) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    _open_file(w, monkeypatch, bare_model)
    dialog = w.model_dialog
    assert dialog is not None and dialog.isVisible()
    assert w.info.name == "tiny"  # nothing changes while the user answers
    # what the model says: its shapes, its fixed 32 px input; the labels file beside it offered
    assert "image: batch × 3 × 32 × 32" in _texts(dialog)
    assert "logits: batch × 10" in _texts(dialog)
    assert dialog.size.value() == 32 and dialog.labels.currentData() == str(bare_model.parent /
                                                                             "labels.txt")
    dialog.preset.setCurrentIndex(dialog.preset.findData(INCEPTION))
    assert dialog.mean.text() == "0.5" and dialog.std.text() == "0.5"
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert w.model_dialog is None
    qtbot.waitUntil(lambda: w.info.name == "resnet_dyn" and len(w.verdicts) == 6, timeout=60_000)

    saved = json.loads(sidecar_path(bare_model).read_text())
    assert saved["image_mean"] == pytest.approx([0.5] * 3)
    assert saved["image_std"] == pytest.approx([0.5] * 3)
    assert saved["size"] == {"shortest_edge": 32} and saved["crop_pct"] == pytest.approx(0.875)
    assert saved["advgui_labels_file"] == "labels.txt"
    # in use: classifying with the labels file's names, the status bar naming it
    assert w.model_label.text() == "Model: resnet_dyn"
    assert w.engine.classifier.preprocessing.mean == pytest.approx((127.5,) * 3)
    assert w.info.class_names[3] == "animal 3"
    named = {e.top1_name for e in w.images.entries if e.top1_name}
    assert named and all(n.startswith("animal ") for n in named)
    assert "resnet_dyn.preprocessor_config.json" in w.statusBar().full_message()
    assert not w.engine.answers  # the file beside the model is what is read from now on

    w.switch_model(str(tiny_model))
    qtbot.waitUntil(lambda: w.info.name == "tiny", timeout=60_000)
    w.switch_model(str(bare_model))  # the next open asks nothing
    assert w.model_dialog is None
    qtbot.waitUntil(lambda: w.info.name == "resnet_dyn", timeout=60_000)
    assert w.engine.classifier.preprocessing.std == pytest.approx((127.5,) * 3)


def test_cancel_keeps_the_model_in_use(make_window, tiny_model, image_folder, bare_model,
                                       qtbot, monkeypatch) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    _open_file(w, monkeypatch, bare_model)
    assert w.model_picker.currentData() == str(bare_model)  # listed while it is asked about
    qtbot.mouseClick(w.model_dialog.buttons.button(w.model_dialog.buttons.StandardButton.Cancel),
                     Qt.MouseButton.LeftButton)
    assert w.model_dialog is None
    assert w.info.name == "tiny" and w.engine.classifier.name == "tiny" and not w.state.loading
    assert w.model_picker.currentData() == str(tiny_model)
    assert w.model_picker.findData(str(bare_model)) < 0
    assert not sidecar_path(bare_model).exists()
    assert "still using tiny" in w.statusBar().full_message()


def test_the_dialog_refuses_a_wrong_answer_in_one_line(bare_model, qtbot) -> None:
    from advgui.ui.dialogs.model_preprocessing import PreprocessingDialog

    dialog = PreprocessingDialog(bare_model)
    qtbot.addWidget(dialog)
    assert dialog.ok.isEnabled() and dialog.preset.currentData() == "torchvision (ImageNet)"
    assert not dialog.size.isEnabled()  # the model fixes it at 32
    dialog.size.setValue(224)
    assert not dialog.ok.isEnabled() and "must be 32" in dialog.problem.text()
    dialog.size.setValue(32)
    qtbot.keyClicks(dialog.std, "x")
    assert dialog.preset.currentData() == "Custom"
    assert not dialog.ok.isEnabled() and "not a number" in dialog.problem.text()
    dialog.preset.setCurrentIndex(dialog.preset.findData("Raw pixels 0–255"))
    assert dialog.ok.isEnabled() and dialog.answer().preprocessing.std == pytest.approx((1.0,) * 3)
    few = bare_model.parent / "five_labels.txt"
    few.write_text("a\nb\nc\nd\ne\n")
    dialog.choose_labels(few)
    assert not dialog.ok.isEnabled()
    assert dialog.problem.text() == "five_labels.txt names 5 classes; the model has 10 outputs."
    assert "\n" not in dialog.problem.text()


def test_the_dialog_fits_a_1024_by_768_screen(bare_model, qtbot) -> None:
    from advgui.ui.dialogs.model_preprocessing import PreprocessingDialog

    dialog = PreprocessingDialog(bare_model)
    qtbot.addWidget(dialog)
    dialog.resize(dialog.sizeHint())
    hint = dialog.sizeHint()
    assert hint.width() <= 1000 and hint.height() <= 700, hint
    dialog.show()
    for label in dialog.findChildren(QLabel):  # no label cut short
        if label.isVisible() and not label.wordWrap():
            assert label.width() >= label.sizeHint().width(), label.text()


def test_an_unwritable_folder_keeps_the_answer_for_this_session(
        make_window, tiny_model, bare_model, qtbot, monkeypatch) -> None:
    import advgui.ui.model_flow as model_flow

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(model_flow, "write_model_sidecar", refuse)
    w = make_window(str(tiny_model))
    _open_file(w, monkeypatch, bare_model)
    w.model_dialog.accept()
    qtbot.waitUntil(lambda: w.info.name == "resnet_dyn", timeout=60_000)
    message = w.statusBar().full_message()
    assert "Permission denied" in message and "this session only" in message
    assert not sidecar_path(bare_model).exists()
    w.switch_model(str(tiny_model))
    qtbot.waitUntil(lambda: w.info.name == "tiny", timeout=60_000)
    w.switch_model(str(bare_model))  # still this session: not asked again
    assert w.model_dialog is None
    qtbot.waitUntil(lambda: w.info.name == "resnet_dyn", timeout=60_000)


@pytest.mark.parametrize("pick", ["folder", "model.onnx"])
def test_an_optimum_folder_opens_with_no_question(make_window, tiny_model, image_folder,
                                                  tmp_path, qtbot, monkeypatch, pick) -> None:
    folder = tmp_path / "optimum_tiny"
    shutil.copytree(FIXTURES / "optimum_tiny", folder)
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    if pick == "folder":
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
        w.menu_actions["open_model_folder"].trigger()
    else:
        _open_file(w, monkeypatch, folder / "model.onnx")
    assert w.model_dialog is None
    qtbot.waitUntil(lambda: w.info.name == "optimum_tiny" and len(w.verdicts) == 6,
                    timeout=60_000)
    assert w.info.class_names[:2] == ("tench", "goldfish")
    assert w.model_picker.currentText() in ("optimum_tiny/", "optimum_tiny/model.onnx")
    assert not list(folder.glob("*.preprocessor_config.json"))


def _sin_model(path: Path) -> Path:
    """A classifier whose image passes through Sin: it runs, but has no gradient rule."""
    w = numpy_helper.from_array(np.full((3, 10), 0.1, np.float32), "w")
    nodes = [helper.make_node("Sin", ["x"], ["s"]),
             helper.make_node("GlobalAveragePool", ["s"], ["p"]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("MatMul", ["f", "w"], ["logits"])]
    graph = helper.make_graph(
        nodes, "sin", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in Preprocessing(16, (127.5,) * 3, (127.5,) * 3).to_metadata().items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, path)
    return path


def test_a_model_without_gradient_rules_classifies_and_the_panel_says_why(
        make_window, tiny_model, image_folder, tmp_path, qtbot) -> None:
    w = make_window(str(tiny_model))
    open_folder(w, qtbot, image_folder)
    w.switch_model(str(_sin_model(tmp_path / "sines.onnx")))
    panel = w.attack_panel
    qtbot.waitUntil(lambda: w.info.name == "sines" and len(w.verdicts) == 6
                    and not panel.unavailable.isHidden(), timeout=60_000)
    reason = panel.unavailable.text()
    assert reason.startswith("Attacks unavailable: sines: cannot attack this model")
    assert "Sin x1" in reason and "\n" not in reason and "Traceback" not in reason
    assert not panel.run.isEnabled()
    w.switch_model(str(tiny_model))  # another model: attacks again
    qtbot.waitUntil(lambda: w.info.name == "tiny", timeout=60_000)
    assert panel.unavailable.isHidden() and panel.run.isEnabled()


def test_a_bare_model_given_at_start_is_asked_about_once_the_window_is_up(
        qtbot, settings, bare_model) -> None:
    from advgui.ui.main_window import MainWindow

    w = MainWindow(str(bare_model), "cpu", settings=settings)
    qtbot.addWidget(w)
    try:
        qtbot.waitUntil(lambda: w.model_dialog is not None, timeout=10_000)
        assert w.model_dialog.path == bare_model
        w.model_dialog.reject()  # the default model stays in use
        qtbot.waitUntil(lambda: w.info is not None, timeout=60_000)
        assert w.state.model_spec == "" and w.info.name == "inception_v3"
    finally:
        w.close()
