"""An attack from the window's request to the engine's replies: checks before it is asked, the
state's updates as it starts, steps, finishes, fails or is cancelled, and what the user is told."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox

from advgui.core.app_state.attack_record import AttackRequest, AttackStep
from advgui.ui.dialogs.ground_truth import truth_or_explain


class AttackFlow(QObject):
    """Lives on the GUI thread, as the engine's signals do (the engine re-emits its jobs'
    queued replies there), so every handler here may touch widgets."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.requested = False  # asked of the engine, not started yet
        engine = window.engine
        engine.attackStarted.connect(self._attack_started)
        engine.attackStep.connect(self._attack_step)
        engine.attackFinished.connect(self._attack_finished)
        engine.attackFailed.connect(self._attack_failed)
        engine.attackCancelled.connect(self._attack_cancelled)
        window.attack_panel.runRequested.connect(self.run)
        window.charts.drawn.connect(self._step_drawn)

    def run(self, values: dict | None = None) -> None:
        if values is None:  # Return: the panel's settings, with its checks
            self.w.attack_panel.request_run()
            return
        path, info = self.w.state.path, self.w.state.model
        if self.w.attacking:
            self.w.state.tell("An attack is running: cancel it first (Esc).", 5000, about=())
            return
        if not path:
            self.w.state.tell("Select an image first.", 5000, about=())
            return
        if info is None or self.w.state.loading:
            self.w.state.tell("The model is still loading.", 5000, about=())
            return
        v = self.w.state.verdict
        if v is not None and v.error:
            QMessageBox.warning(self.w, "Cannot attack this file", v.error)
            return
        truth: int | None = -1
        if values["target"] == "true":
            truth = truth_or_explain(self.w, path, info.class_ids, len(info.class_names))
            if truth is None:
                return
        self.requested = True
        if self.w.attack_panel.run.hasFocus() or self.w.focusWidget() is None:
            # The Run button is about to be disabled: Qt would hand the focus to the Method
            # combo, where the arrow keys then change the method instead of the image.
            self.w.browser.view.setFocus()
        self.w.engine.arm()
        self.w.attack_panel.set_running(True)
        self.w.state.tell("Attacking…", image=path)
        self.w.requestAttack.emit(AttackRequest(path, values["method"], values["target"],
                                              values["eps"], values["alpha"], values["steps"], truth,
                                              values.get("queries")))

    def cancel(self) -> None:
        if self.w.attacking:
            self.w.engine.cancel()

    @Slot(object)
    def _attack_started(self, start) -> None:
        self.requested = False
        self.w.state.attack_started(start)
        if self.w.state.path == start.request.path and \
                self.w.tabs.currentWidget() not in (self.w.inspect, self.w.explain):
            self.w.tabs.setCurrentWidget(self.w.charts)
        names = self.w.state.model.class_names if self.w.state.model else ()
        way = "towards" if start.towards else "away from"
        target = names[start.target] if start.target < len(names) else start.target
        self.w.state.tell(f"Attacking {way} {target}…", image=start.request.path)

    @Slot(object)
    def _attack_step(self, step: AttackStep) -> None:
        self.w.state.attack_step(step)

    @Slot(int)
    def _step_drawn(self, index: int) -> None:
        live = self.w.state.live
        if live is not None and live.steps and index == len(live.steps):
            self.w.stepShown.emit(live.steps[-1], time.perf_counter())

    def _attack_done(self) -> None:
        self.requested = False
        self.w.attack_panel.set_running(False)

    @Slot(object)
    def _attack_finished(self, out) -> None:
        self._attack_done()
        self.w.state.attack_finished(out)
        names = self.w.state.model.class_names if self.w.state.model else ()
        top = int(np.argmax(out.adversarial_probabilities))
        flip = (f"top-1 flipped at step {out.first_flip_step}" if out.first_flip_step > 0
                else "top-1 did not change")
        if out.problem:
            QMessageBox.warning(self.w, "Attack result not trustworthy", out.problem)
        # About the attacked image and the model that ran it: gone once either leaves the screen.
        self.w.state.tell(
            f"Done: {names[top] if top < len(names) else top} "
            f"({100 * out.adversarial_probabilities[top]:.1f} %), "
            f"{flip}; {1000 * out.seconds_per_step:.0f} ms per step", 15000,
            image=out.request.path)

    @Slot(str)
    def _attack_failed(self, message: str) -> None:
        self._attack_done()
        attacked = self.w.state.live.path if self.w.state.live else None
        self.w.state.attack_dropped()
        summary = message.split("\n\n")[0]
        self.w.state.tell(f"Attack failed: {summary.splitlines()[0]}", 15000, image=attacked)
        box = QMessageBox(QMessageBox.Icon.Warning, "Attack failed", summary, parent=self.w)
        if "\n\n" in message:
            box.setDetailedText(message)
        box.exec()

    @Slot()
    def _attack_cancelled(self) -> None:
        self._attack_done()
        attacked = self.w.state.live.path if self.w.state.live else None
        self.w.state.attack_dropped()  # what was shown before the attack is shown again
        kept = " The previous result of this image is shown." if self.w.state.result else ""
        self.w.state.tell(f"Attack cancelled: no new result.{kept}", 8000, image=attacked)

