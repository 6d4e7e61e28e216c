"""The engine worker: one QObject on one QThread owns the classifier and every model run.

The GUI talks to it only through queued signals. Long jobs are cut into slices (a batch of
images, one attack step) so cancellation and new requests take effect within one slice.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot

from advgui.core.attacks import Target, attack_from_settings
from advgui.core.model.classifier import Classifier, ModelError
from advgui.core.model.images import ImageError, load_batch, load_rgb
from advgui.core.app_state.attack_record import (AttackOutcome, AttackRequest, AttackStart, AttackStep,
                                       keeps_pixels)
from advgui.core.app_state.perturbation import perturbation_view
from advgui.core.model.registry import load_classifier
from advgui.core.app_state.window_state import ModelInfo, Verdict

CLASSIFY_BATCH = 8
log = logging.getLogger(__name__)


@dataclass
class _Queue:
    generation: int = 0
    paths: list[str] = field(default_factory=list)


class EngineWorker(QObject):
    modelLoaded = Signal(object)  # ModelInfo
    modelFailed = Signal(str, str)  # spec, message
    modelWarning = Signal(str)  # loaded and classifying, but attacks are impossible (and why)
    classified = Signal(int, object)  # generation, Verdict
    classifyFinished = Signal(int)
    attackStarted = Signal(object)  # AttackStart
    attackStep = Signal(object)  # AttackStep
    attackFinished = Signal(object)  # AttackOutcome
    attackFailed = Signal(str)
    attackCancelled = Signal()
    _more = Signal()  # queued to itself: one classification slice per event-loop turn

    def __init__(self) -> None:
        super().__init__()
        self._more.connect(self._pump, Qt.ConnectionType.QueuedConnection)
        self.classifier: Classifier | None = None
        self._cancel = threading.Event()
        # Step by step: each step past the first waits for a permit (Next step), so a lecturer
        # runs one step, talks about it, and runs the next.
        self._stepping = False
        self._permits = threading.Semaphore(0)
        self._queue = _Queue()
        self._lock = threading.Lock()

    # -- called from the GUI thread (thread-safe) ---------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def arm(self) -> None:
        """Called by the GUI just before it asks for an attack: an Esc pressed after this, even
        before the attack starts on this thread, cancels it."""
        self._cancel.clear()

    def set_stepping(self, on: bool) -> None:
        self._stepping = on
        if not on:
            self._permits.release()  # a step waiting for its permit goes on at once

    def next_step(self) -> None:
        self._permits.release()

    def _wait_permit(self) -> bool:
        """False when the attack was cancelled while waiting."""
        while self._stepping and not self._cancel.is_set():
            if self._permits.acquire(timeout=0.05):
                return True
        return not self._cancel.is_set()

    def set_generation(self, generation: int) -> None:
        """Make queued classification of an older folder stop at its next slice."""
        with self._lock:
            self._queue.generation = generation

    # -- slots, run on the worker thread ---------------------------------------------------------
    @Slot(str, str)
    def loadModel(self, spec: str, device: str) -> None:
        try:
            clf = load_classifier(spec or None, device=device)
        except (ModelError, ValueError, OSError, RuntimeError) as exc:
            self.modelFailed.emit(spec, str(exc))
            return
        self.classifier = clf
        p = clf.preprocessing
        self.modelLoaded.emit(ModelInfo(clf.name, clf.device.describe(), clf.classes.names,
                                        clf.classes.ids, p.size, p.std, clf.sha256, spec))

    @Slot(int, list)
    def classify(self, generation: int, paths: list) -> None:
        with self._lock:
            self._queue = _Queue(generation, list(paths))
        self._more.emit()

    @Slot()
    def _pump(self) -> None:
        with self._lock:
            generation = self._queue.generation
            batch, self._queue.paths = (self._queue.paths[:CLASSIFY_BATCH],
                                        self._queue.paths[CLASSIFY_BATCH:])
            more = bool(self._queue.paths)
        if self.classifier is None:
            return
        if not batch:
            return
        clf = self.classifier
        ok, pixels, failed = load_batch(batch, clf.preprocessing.load)
        for path, reason in failed:
            self.classified.emit(generation, Verdict(path, error=reason))
        if pixels:
            try:
                probs = clf.probabilities(clf.preprocessing.to_model(np.stack(pixels)))
            except Exception as exc:  # a runtime failure must not kill the worker thread
                for path in ok:
                    self.classified.emit(generation, Verdict(path, error=f"model failed: {exc}"))
            else:
                for path, p in zip(ok, probs):
                    self.classified.emit(generation, Verdict.of(path, p))
        if more:
            self._more.emit()
        else:
            self.classifyFinished.emit(generation)
            self._warm_up()

    def _warm_up(self) -> None:
        """Build the gradient graph once the first images are classified, not at the first
        attack (about 1 s holding the GIL on InceptionV3: benchmarks/gui_latency.py)."""
        clf = self.classifier
        if clf is not None and not clf.has_gradient:
            try:
                clf.ensure_gradient()
            except ModelError as exc:
                log.warning("%s", exc)
                self.modelWarning.emit(str(exc))  # classification still works

    @Slot(object)
    def attack(self, request: AttackRequest) -> None:
        while self._permits.acquire(blocking=False):  # permits of an earlier attack
            pass
        clf = self.classifier
        if clf is None:
            self.attackFailed.emit("no model is loaded yet")
            return
        try:
            attack = attack_from_settings(request.method, eps=request.eps, alpha=request.alpha,
                                          steps=request.steps)
            target = Target.parse(request.target, clf.num_classes)
            pixels = clf.preprocessing.load(load_rgb(Path(request.path)))
            x = clf.preprocessing.to_model(pixels[None])
            clean = clf.probabilities(x)
            truth = np.asarray([request.truth]) if request.truth >= 0 else None
            tgt, direction = target.resolve(clean, truth)
            self.attackStarted.emit(AttackStart(request, pixels, clean[0], int(tgt[0]),
                                                bool(direction[0] < 0), attack.steps))
            # keys: a random start (PGD) is the image's own, drawn from its file name
            gen = attack.run(clf, x, target, truth, clean=clean, keys=[Path(request.path).name])
            step_seconds: list[float] = []
            while True:
                if self._cancel.is_set() or (step_seconds and not self._wait_permit()):
                    gen.close()
                    self.attackCancelled.emit()
                    return
                t0 = time.perf_counter()
                try:
                    rec = next(gen)
                except StopIteration as stop:
                    result = stop.value
                    break
                step_seconds.append(time.perf_counter() - t0)
                now = clf.preprocessing.to_uint8(rec.image)[0]
                linf = int(np.abs(now.astype(np.int16) - pixels.astype(np.int16)).max())
                kept = now if keeps_pixels(rec.step, rec.total_steps) else None
                self.attackStep.emit(AttackStep(rec.step, rec.total_steps, rec.probabilities[0],
                                                float(rec.loss[0]), step_seconds[-1],
                                                time.perf_counter(), kept, linf))
            elapsed = float(np.median(step_seconds)) if step_seconds else 0.0
            self.attackFinished.emit(AttackOutcome(
                request, pixels, result.pixels[0], clean[0], result.pixel_probabilities[0],
                int(result.target[0]), int(result.first_flip_step[0]),
                perturbation_view(pixels, result.pixels[0]), elapsed, result.problems[0]))
        except ImageError as exc:  # the file changed or vanished since it was listed
            self.attackFailed.emit(f"{Path(request.path).name}: {exc}")
        except (ValueError, ModelError) as exc:
            self.attackFailed.emit(str(exc))
        except Exception as exc:  # report, never crash the thread
            self.attackFailed.emit(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
