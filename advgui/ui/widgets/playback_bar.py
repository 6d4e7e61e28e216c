"""Playback of an attack's recorded steps: a slider that scrubs, Play at a chosen pace, and step by
step (the attack waits for Next step before each one), for a lecturer to show it to a room."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton,
                               QSlider, QVBoxLayout, QWidget)


class PlaybackBar(QWidget):
    positionChosen = Signal(object)  # int step (0 = clean), or None to follow the latest step
    steppingToggled = Signal(bool)
    nextStepRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setPageStep(1)
        self.slider.setToolTip("Scrub through the attack's steps (0 = the clean image)")
        self.play = QPushButton("▶ Play")
        self.play.setToolTip("Replay the recorded steps at the pace set beside (Space)")
        self.pace = QDoubleSpinBox()
        self.pace.setRange(0.1, 10.0)
        self.pace.setSingleStep(0.25)
        self.pace.setValue(1.0)
        self.pace.setDecimals(1)
        self.pace.setSuffix(" s/step")
        self.pace.setToolTip("Pace: seconds each step stays on screen during Play")
        self.stepping = QCheckBox("Step by step")
        self.stepping.setToolTip("The attack waits after each step until Next step is pressed")
        self.next = QPushButton("Next step ▶")
        self.next.setEnabled(False)
        self.position = QLabel("no attack")
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(2)
        top, bottom = QHBoxLayout(), QHBoxLayout()
        top.addWidget(self.play)
        top.addWidget(self.slider, 1)
        top.addWidget(self.position)
        # No "Pace" label: the unit says it, and its width kept "Next step" on screen at
        # 1024 x 768 with Larger Text x2 (it showed as "lext step").
        bottom.addWidget(self.pace)
        bottom.addStretch(1)
        bottom.addWidget(self.stepping)
        bottom.addWidget(self.next)
        rows.addLayout(top)
        rows.addLayout(bottom)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)
        self._live = False
        self._quiet = False  # set while the window moves the slider, so no request echoes back
        self.slider.valueChanged.connect(self._moved)
        self.play.clicked.connect(self.toggle_play)
        self.pace.valueChanged.connect(lambda v: self._timer.setInterval(int(1000 * v)))
        self.stepping.toggled.connect(self.steppingToggled)
        self.stepping.toggled.connect(lambda _on: self._refresh_next())
        self.next.clicked.connect(self.nextStepRequested)
        self.show_record(0, 0, None, live=False)

    def event(self, event) -> bool:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange):
            QTimer.singleShot(0, self, self._relayout)
        return super().event(event)

    def _relayout(self) -> None:
        """Sizes from the new text size: the buttons kept the old ones after a font change and
        "Next step" was cut ("lext step") with Larger Text."""
        for child in self.findChildren(QWidget):
            child.updateGeometry()
        self.layout().invalidate()
        self.layout().activate()

    def show_record(self, recorded: int, total: int, index: int | None, live: bool) -> None:
        """What the state holds: ``recorded`` steps of ``total``, step ``index`` on screen."""
        self._live = live
        self._quiet = True
        self.slider.setRange(0, recorded)
        self.slider.setValue(recorded if index is None else index)
        self._quiet = False
        self.slider.setEnabled(recorded > 0)
        self.play.setEnabled(recorded > 0 and not live)
        shown = recorded if index is None else index
        self.position.setText(f"step {shown} / {total}" if total else "no attack")
        if live or recorded == 0:
            self.stop()
        self._refresh_next()

    def _refresh_next(self) -> None:
        self.next.setEnabled(self._live and self.stepping.isChecked())

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def toggle_play(self) -> None:
        if self.playing:
            self.stop()
            return
        if self.slider.maximum() == 0 or self._live:
            return
        if self.slider.value() >= self.slider.maximum():
            self._choose(0)  # from the clean image
        self._timer.start(int(1000 * self.pace.value()))
        self.play.setText("Pause")

    def stop(self) -> None:
        self._timer.stop()
        self.play.setText("▶ Play")

    def _advance(self) -> None:
        value = self.slider.value() + 1
        if value > self.slider.maximum():
            self.stop()
            return
        self._choose(value)
        if value == self.slider.maximum():
            self.stop()
        else:  # the next step a full pace after this one was drawn, never sooner after a slow one
            self._timer.start()

    def _choose(self, value: int) -> None:
        self.slider.setValue(value)  # emits positionChosen through _moved

    def _moved(self, value: int) -> None:
        if self._quiet:
            return
        # The last position of a live attack means "follow it"; any other is a fixed step.
        follow = self._live and value == self.slider.maximum()
        self.positionChosen.emit(None if follow else value)
