"""Attack controls: method, target (with a searchable class picker), eps in three units,
step size and steps with the Kurakin defaults, Run and Cancel."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QMessageBox, QPushButton, QSpinBox, QWidget)
from superqt import QSearchableComboBox

from advgui.core.attacks import STEPPED, attack_class, make_attack
from advgui.core.attacks.square import MAX_QUERIES, SQUARE_QUERIES
from advgui.core.attacks.params import eps_units
from advgui.ui.widgets.eliding_combo import fit_combo

TARGETS = [("Least likely (global)", "least-likely"),
           ("Least likely of top-5 (seed)", "least-likely-top5"),
           ("Inverse: away from top-1", "inverse"),
           ("Away from true label", "true"),
           ("Towards a chosen class…", "class")]


class ClickThrough(QObject):
    """A completer's popup that is closed by a click elsewhere passes that click on. QCompleter
    eats it (its filter hides the popup and returns True), so after typing a class name the first
    click on Run did nothing, and the user clicked again (issue 24)."""

    def eventFilter(self, popup, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.MouseButtonPress or not popup.isVisible():
            return False
        where = event.globalPosition().toPoint()
        if popup.rect().contains(popup.mapFromGlobal(where)):
            return False  # a click on a suggestion: the completer's own business
        popup.hide()
        target = QApplication.widgetAt(where)
        if target is None or not target.isEnabled():
            return True
        # The whole click, now: the release that follows still goes to the popup's window (it
        # holds the pointer grab on X11), so a press alone left Run pressed and never clicked.
        at = target.mapFromGlobal(event.globalPosition())
        for kind, buttons in ((QEvent.Type.MouseButtonPress, event.buttons()),
                              (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
            QApplication.sendEvent(target, QMouseEvent(kind, at, event.globalPosition(),
                                                       event.button(), buttons, event.modifiers()))
        return True


class AttackPanel(QGroupBox):
    runRequested = Signal(dict)
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Attack", parent)
        self.method = QComboBox()
        self.method.addItem("Iterative gradient sign (Kurakin 2016)", "iterative")
        self.method.addItem("Fast gradient sign (Goodfellow 2014)", "fast")
        self.method.addItem("PGD: random start (Madry 2018)", "pgd")
        self.method.addItem("Momentum, MI-FGSM (Dong 2018)", "momentum")
        self.method.addItem("Square Attack, gradient-free (2020)", "square")
        self.target = QComboBox()
        for label, key in TARGETS:
            self.target.addItem(label, key)
        # Editable, never inserting what is typed, its completer matching any part of a name
        # in any case; what the typed text names is decided by chosen_class alone.
        self.picker = QSearchableComboBox()
        self.picker.setEnabled(False)
        # Installed after the completer's own filter, so it runs first.
        self._click_through = ClickThrough(self)
        self.picker.completer().popup().installEventFilter(self._click_through)
        for combo in (self.method, self.target, self.picker):
            # Whole where there is room; '…' (whole in the tooltip) on the smallest windows,
            # never widening the window past a 1024-pixel projector.
            fit_combo(combo)
        self.eps = QDoubleSpinBox()
        # 0 is accepted while typing and refused at Run with a reason; a minimum of 0.5 made
        # Qt silently put back the last value (8.0) when 0 was typed.
        self.eps.setRange(0.0, 255.0)
        self.eps.setDecimals(1)
        self.eps.setValue(8.0)
        self.eps.setSuffix(" /255")
        self.eps_units = QLabel()
        self.eps_units.setStyleSheet("color: gray")
        self.eps_units.setWordWrap(True)
        self.alpha = QDoubleSpinBox()
        self.alpha.setRange(0.1, 255.0)
        self.alpha.setDecimals(1)
        self.alpha.setValue(1.0)
        self.steps = QSpinBox()
        self.steps.setRange(1, 10_000)
        # Square Attack's budget: model queries per image (its steps are queries, not gradients).
        self.queries = QSpinBox()
        self.queries.setRange(1, MAX_QUERIES)
        self.queries.setSingleStep(100)
        self.queries.setGroupSeparatorShown(True)
        self.queries.setValue(SQUARE_QUERIES)
        self.queries.setToolTip("Square Attack's query budget per image (the paper: 10,000)")
        self.kurakin = QCheckBox("Paper defaults")
        self.kurakin.setToolTip("Iterative (Kurakin et al. 2016): α = 1 level, steps = min(ε + 4, "
                                "1.25 ε). PGD (Madry et al. 2018): α = 2, 10 steps. Momentum (Dong "
                                "et al. 2018): α = ε / 10, 10 steps, decay 1")
        self.kurakin.setChecked(True)
        self.run = QPushButton("Run attack")
        self.run.setDefault(True)
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        # Why this model cannot be attacked (it still classifies); empty while it can.
        self.unavailable = QLabel()
        self.unavailable.setObjectName("attacks-unavailable")
        self.unavailable.setWordWrap(True)
        self.unavailable.setStyleSheet("color: #b00020")
        self.unavailable.hide()
        form = QFormLayout(self)
        form.addRow("Method", self.method)
        form.addRow("Target", self.target)
        form.addRow("Class", self.picker)
        form.addRow("ε (L∞)", self.eps)
        form.addRow("", self.eps_units)
        form.addRow(self.kurakin)
        form.addRow("Step size α", self.alpha)
        form.addRow("Steps", self.steps)
        form.addRow("Queries", self.queries)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run)
        buttons.addWidget(self.cancel)
        form.addRow(buttons)
        form.addRow(self.unavailable)
        self._running = False
        self._std = (128.0, 128.0, 128.0)
        self.method.currentIndexChanged.connect(self._refresh)
        self.target.currentIndexChanged.connect(self._refresh)
        self.eps.valueChanged.connect(self._refresh)
        self.kurakin.toggled.connect(self._refresh)
        self.run.clicked.connect(self._run)
        self.cancel.clicked.connect(self.cancelRequested)
        self._refresh()

    def set_classes(self, names: tuple[str, ...], std: tuple[float, float, float]) -> None:
        """Another model's classes. What was typed or picked stays when the new list has it."""
        self._std = std
        typed = self.picker.currentText()
        items = [f"{i}: {n}" for i, n in enumerate(names)]
        if items == [self.picker.itemText(i) for i in range(self.picker.count())]:
            self._refresh()
            return
        self.picker.clear()
        self.picker.addItems(items)
        self.picker.setEditText(typed)
        self._refresh()

    def _refresh(self) -> None:
        method = self.method.currentData()
        stepped = method in STEPPED
        custom = not self.kurakin.isChecked()
        self.kurakin.setEnabled(stepped)
        self.alpha.setEnabled(stepped and custom)
        self.steps.setEnabled(stepped and custom)
        self.queries.setEnabled(method == "square")
        if self.kurakin.isChecked() and stepped and self.eps.value() >= 0.5:
            defaults = make_attack(method, eps=self.eps.value())
            self.alpha.setValue(defaults.alpha)
            self.steps.setValue(defaults.steps)
        self.picker.setEnabled(self.target.currentData() == "class")
        self.eps_units.setText(eps_units(self.eps.value(), self._std))
        if hasattr(self, "_running"):
            self.set_running(self._running)  # a gradient-free method runs where others cannot

    def set_running(self, running: bool) -> None:
        self._running = running
        gradient_free = not attack_class(self.method.currentData()).uses_gradient
        self.run.setEnabled(not running and (not self.unavailable.text() or gradient_free))
        self.cancel.setEnabled(running)

    def set_unavailable(self, reason: str) -> None:
        """The model in use cannot be attacked (reason: the classifier's one line), or can
        again (an empty reason: another model)."""
        self.unavailable.setText(f"Attacks unavailable: {reason}" if reason else "")
        self.unavailable.setToolTip(reason)
        self.unavailable.setVisible(bool(reason))
        self.set_running(self._running)

    def chosen_class(self) -> int:
        """The class the picker names: an item picked, an exact index or name, or the one class
        whose name contains the text typed. Anything else is refused (ValueError), never taken
        as whatever item happens to be current (typing "toast" used to attack class 0)."""
        text = self.picker.currentText().strip()
        items = [self.picker.itemText(i) for i in range(self.picker.count())]
        names = [t.split(": ", 1)[-1] for t in items]
        if text in items:
            return items.index(text)
        if text.isdigit() and int(text) < len(items):
            return int(text)
        lowered = text.lower()
        exact = [i for i, n in enumerate(names) if n.lower() == lowered]
        matches = exact or [i for i, n in enumerate(names) if lowered and lowered in n.lower()]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ValueError(f"no class is called {text!r}; pick one from the list")
        shown = ", ".join(items[i] for i in matches[:4]) + (", …" if len(matches) > 4 else "")
        raise ValueError(f"{text!r} matches {len(matches)} classes ({shown}); pick one")

    def settings(self) -> dict:
        target = self.target.currentData()
        if target == "class":
            target = f"class:{self.chosen_class()}"
        stepped = self.method.currentData() in STEPPED
        if self.eps.value() < 0.5:
            raise ValueError(f"ε {self.eps.value():g} changes no pixel: choose at least 0.5 "
                             "levels (of 255)")
        return {"method": self.method.currentData(), "target": target, "eps": self.eps.value(),
                "alpha": self.alpha.value() if stepped else None,
                "steps": self.steps.value() if stepped else None,
                "queries": self.queries.value() if self.method.currentData() == "square" else None}

    def restore(self, values: dict) -> None:
        for combo, key in ((self.method, "method"), (self.target, "target")):
            i = combo.findData(values.get(key))
            if i >= 0:
                combo.setCurrentIndex(i)
        for box, key in ((self.eps, "eps"), (self.alpha, "alpha"), (self.steps, "steps"),
                         (self.queries, "queries")):
            try:
                if values.get(key) is not None:
                    box.setValue(type(box.value())(float(values[key])))
            except (TypeError, ValueError):
                pass
        if values.get("class"):  # the model's classes come later; set_classes keeps the text
            self.picker.setEditText(str(values["class"]))
        if values.get("kurakin") is not None:
            self.kurakin.setChecked(str(values["kurakin"]).lower() in ("true", "1"))

    def request_run(self) -> None:
        if self.run.isEnabled():
            self._run()

    def _run(self) -> None:
        try:
            values = self.settings()
        except ValueError as exc:
            text = str(exc)
            first = text[:1].upper() if text[:1].isascii() else text[:1]  # ε, not Ε
            QMessageBox.warning(self, "Cannot run the attack", first + text[1:] + ".")
            return
        self.runRequested.emit(values)
