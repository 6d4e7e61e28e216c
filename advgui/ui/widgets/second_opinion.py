"""Inspect > Second model: another classifier's verdict on the same clean crop and 8-bit
adversarial (transfer, one image at a time). Loaded and run by a worker on the thread pool, so the
engine's attack and the window are never held up by it."""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from advgui.core.model.registry import load_classifier, shipped_models
from advgui.ui.widgets.eliding_combo import fit_combo
from advgui.ui.workers.job import Job


class SecondModels:
    """The second models, loaded once each; scored one request at a time (on the thread pool)."""

    def __init__(self) -> None:
        self._models: dict[str, object] = {}
        self._lock = threading.Lock()

    def score(self, request: str, spec: str, clean: np.ndarray, adversarial: np.ndarray):
        """(request, model name, clean probs, adversarial probs, class names), or
        (request, message) when the model cannot score."""
        with self._lock:
            try:
                model = self._models.get(spec) or load_classifier(spec, device="cpu")
                self._models[spec] = model
                pre = model.preprocessing
                views = np.stack([pre.load(Image.fromarray(p)) for p in (clean, adversarial)])
                probs = model.probabilities(pre.to_model(views))
            except Exception as exc:  # a model that cannot score is reported, never a crash
                return request, f"{spec}: {exc}"
            return request, model.name, probs[0], probs[1], model.classes.names


class SecondOpinion(QWidget):
    """A model picker and the verdict line; asks its worker whenever the shown result changes."""

    wanted = Signal(str, str, object, object)
    # Each answer about the result on screen: the model's name (or why it failed), its clean and
    # adversarial probabilities (None: failed), its class names and the adversarial it scored.
    scored = Signal(str, object, object, object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QComboBox()
        self.model.addItem("none", "")
        for entry in shipped_models():
            self.model.addItem(entry.name, entry.name)
        # Whole where there is room, '…' where not: at its longest name's width the Inspect
        # tab's minimum took the attack panel's room at 1024 x 768 (its combos were cut).
        fit_combo(self.model, minimum=90)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        row = QHBoxLayout()
        label = QLabel("Second model")
        # The combo's own tooltip is its whole choice (fit_combo): the why goes on the label.
        label.setToolTip("Score the same adversarial image with another model: does the "
                         "attack transfer?")
        row.addWidget(label)
        row.addWidget(self.model, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.text)
        self.models = SecondModels()
        self._jobs: list[Job] = []
        self.wanted.connect(self._start)
        self._request, self._pair, self._names = "", None, ()
        self.model.currentIndexChanged.connect(lambda _i: self._ask())

    def show_pair(self, clean: np.ndarray | None, adversarial: np.ndarray | None,
                  names: tuple[str, ...]) -> None:
        """The result now on screen (None: no finished result for this image)."""
        if self._pair is not None and clean is self._pair[0] and adversarial is self._pair[1]:
            return  # the same result (a step scrubbed, a tab switched): nothing to ask again
        self._pair = None if clean is None or adversarial is None else (clean, adversarial)
        self._names = names
        self._ask()

    def _ask(self) -> None:
        spec = self.model.currentData()
        self._request = f"{id(self._pair)}:{spec}"
        if not spec or self._pair is None:
            self.text.setText("")
            return
        self.text.setText(f"{spec}: scoring…")
        self.wanted.emit(self._request, spec, *self._pair)

    def _start(self, request: str, spec: str, clean: np.ndarray, adversarial: np.ndarray) -> None:
        self._jobs = [j for j in self._jobs if not j.done]
        self._jobs.append(Job(self.models.score, request, spec, clean, adversarial,
                              connect={"returned": self._answered}))

    def _answered(self, answer: tuple) -> None:
        (self._scored if len(answer) == 5 else self._failed)(*answer)

    def _scored(self, request: str, name: str, clean: np.ndarray, adv: np.ndarray,
                names: tuple[str, ...]) -> None:
        if request != self._request:  # an answer about an earlier result
            return
        c, a = int(np.argmax(clean)), int(np.argmax(adv))
        verdict = "its top-1 changed: the attack transfers" if a != c else "not fooled"
        self.text.setText(f"<b>{name}</b> on the same images: clean '{names[c]}' "
                          f"({100 * clean[c]:.1f} %), adversarial '{names[a]}' "
                          f"({100 * adv[a]:.1f} %): {verdict}")
        self.scored.emit(name, clean, adv, names, self._pair[1] if self._pair else None)

    def _failed(self, request: str, message: str) -> None:
        if request == self._request:
            self.text.setText(f"Second model failed: {message}")
            self.scored.emit(message, None, None, (), self._pair[1] if self._pair else None)

    def stop(self) -> None:
        for job in self._jobs:
            job.wait(10)
        self._jobs.clear()
