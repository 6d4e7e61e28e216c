"""The engine: owns the classifier and runs every model request as a Job (workers/job.py).

The engine object lives on the GUI thread; each request (load a model, classify a folder, attack
an image) is a plain function or generator run on the thread pool, and what it yields comes back
by the Job's queued signals, so every engine signal is emitted on the GUI thread. One request
runs at a time, in the order asked, as on the one engine thread before: a load or an attack
asked while a folder is being classified stops the classification after its current batch
(CLASSIFY_BATCH images) and the rest of the folder is classified after it. The folder is
classified in the order of a ClassifyQueue: the selected image and those on screen first
(`prioritise`, also while the classification runs); an attacked image's verdict is its clean
probabilities, reported as soon as the attack starts.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from advgui.core.attacks import Target, attack_from_settings
from advgui.core.file_names import shown_name
from advgui.core.model.classifier import Classifier, ModelError
from advgui.core.model.images import ImageError, load_batch, load_rgb
from advgui.core.app_state.attack_record import (AttackOutcome, AttackRequest, AttackStart, AttackStep,
                                       keeps_pixels)
from advgui.core.app_state.perturbation import perturbation_view
from advgui.core.model.preprocess import Preprocessing
from advgui.core.model.registry import load_classifier
from advgui.core.app_state.window_state import ModelInfo, Verdict
from advgui.ui.workers.classify_queue import ClassifyQueue
from advgui.ui.workers.job import Job

CLASSIFY_BATCH = 8
PERMIT_POLL_S = 0.05  # a step waiting for Next step notices a cancel within this
JOIN_S = 30.0  # closing the window: the longest wait for the request running (a model load)
log = logging.getLogger(__name__)


class StepGate:
    """Thread-safe: the cancel flag and the step-by-step permits the attack checks between its
    steps. Step by step: each step past the first waits for a permit (Next step), so a lecturer
    runs one step, talks about it, and runs the next."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._stepping = False
        self._permits = threading.Semaphore(0)

    def cancel(self) -> None:
        self._cancel.set()

    def arm(self) -> None:
        self._cancel.clear()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def set_stepping(self, on: bool) -> None:
        self._stepping = on
        if not on:
            self._permits.release()  # a step waiting for its permit goes on at once

    def release(self) -> None:
        self._permits.release()

    def drain(self) -> None:
        """Forget the permits of an earlier attack."""
        while self._permits.acquire(blocking=False):
            pass

    def wait(self) -> bool:
        """Wait for the permit of the next step (at once when not stepping); False when the
        attack was cancelled meanwhile. Runs on the attack's pool thread, never the GUI's."""
        while self._stepping and not self._cancel.is_set():
            if self._permits.acquire(timeout=PERMIT_POLL_S):
                return True
        return not self._cancel.is_set()


# -- the requests, run on the thread pool (no Qt in them) -----------------------------------------
def load_model(spec: str, device: str, preprocessing: Preprocessing | None = None,
               labels: Path | None = None) -> tuple[Classifier, ModelInfo]:
    """preprocessing and labels: the user's answer for a bare model (else the model's own)."""
    clf = load_classifier(spec or None, device=device, preprocessing=preprocessing, labels=labels)
    p = clf.preprocessing
    return clf, ModelInfo(clf.name, clf.device.describe(), clf.classes.names, clf.classes.ids,
                          p.size, p.std, clf.sha256, spec)


@dataclass
class Classified:
    generation: int
    count: int  # paths of the folder's list this batch consumed
    verdicts: list[Verdict]


@dataclass
class ClassifyDone:
    generation: int


@dataclass
class ModelWarning:
    message: str  # loaded and classifying, but attacks are impossible (and why)


def classify_folder(clf: Classifier, queue: ClassifyQueue
                    ) -> Iterator[Classified | ClassifyDone | ModelWarning]:
    """A batch of verdicts per yield, taken from the queue in its order at that moment (each
    yield a point where a load or an attack can take the engine over; a batch taken is always
    yielded: the job is stopped only between two); then the gradient graph is built, once the
    first images are classified rather than at the first attack (about 1 s holding the GIL on
    InceptionV3: benchmarks/gui_latency.py)."""
    generation = queue.generation
    while batch := queue.take(CLASSIFY_BATCH):
        ok, pixels, failed = load_batch(batch, clf.preprocessing.load)
        verdicts = [Verdict(path, error=reason) for path, reason in failed]
        if pixels:
            try:
                probs = clf.probabilities(clf.preprocessing.to_model(np.stack(pixels)))
            except Exception as exc:  # a runtime failure must not end the classification
                verdicts += [Verdict(path, error=f"model failed: {exc}") for path in ok]
            else:
                verdicts += [Verdict.of(path, p) for path, p in zip(ok, probs)]
        yield Classified(generation, len(batch), verdicts)
    yield ClassifyDone(generation)
    if not clf.has_gradient:
        try:
            clf.ensure_gradient()
        except ModelError as exc:
            log.warning("%s", exc)
            yield ModelWarning(str(exc))  # classification still works


class _Returning:
    """Iterates a generator and keeps what it returns (an attack's steps, then its result)."""

    def __init__(self, gen: Generator) -> None:
        self.gen, self.result = gen, None

    def __iter__(self) -> Iterator:
        self.result = yield from self.gen


def attack_image(clf: Classifier, request: AttackRequest, gate: StepGate
                 ) -> Iterator[AttackStart | AttackStep | ModelWarning]:
    """Yields the start, then each step; returns the outcome, a message (failed) or None
    (cancelled: checked, with the step-by-step permit, between two steps)."""
    gate.drain()
    try:
        attack = attack_from_settings(request.method, eps=request.eps, alpha=request.alpha,
                                      steps=request.steps, queries=request.queries)
        if attack.uses_gradient and not clf.has_gradient:  # no gradient rules: the panel says why
            try:
                clf.ensure_gradient()
            except ModelError as exc:
                yield ModelWarning(str(exc))
                return str(exc)
        target = Target.parse(request.target, clf.num_classes)
        pixels = clf.preprocessing.load(load_rgb(Path(request.path)))
        x = clf.preprocessing.to_model(pixels[None])
        clean = clf.probabilities(x)
        truth = np.asarray([request.truth]) if request.truth >= 0 else None
        tgt, direction = target.resolve(clean, truth)
        yield AttackStart(request, pixels, clean[0], int(tgt[0]), bool(direction[0] < 0),
                          attack.steps)
        # keys: a random start (PGD) is the image's own, drawn from its file name
        steps = _Returning(attack.run(clf, x, target, truth, clean=clean,
                                      keys=[Path(request.path).name]))
        if gate.cancelled:
            return None
        step_seconds: list[float] = []
        t0 = time.perf_counter()
        for rec in steps:
            step_seconds.append(time.perf_counter() - t0)
            now = clf.preprocessing.to_uint8(rec.image)[0]
            linf = int(np.abs(now.astype(np.int16) - pixels.astype(np.int16)).max())
            kept = now if keeps_pixels(rec.step, rec.total_steps) else None
            yield AttackStep(rec.step, rec.total_steps, rec.probabilities[0], float(rec.loss[0]),
                             step_seconds[-1], time.perf_counter(), kept, linf)
            if not gate.wait():  # leaving the loop closes the attack's generator
                return None
            t0 = time.perf_counter()
        result = steps.result
        elapsed = float(np.median(step_seconds)) if step_seconds else 0.0
        return AttackOutcome(
            request, pixels, result.pixels[0], clean[0], result.pixel_probabilities[0],
            int(result.target[0]), int(result.first_flip_step[0]),
            perturbation_view(pixels, result.pixels[0]), elapsed, result.problems[0])
    except ImageError as exc:  # the file changed or vanished since it was listed
        return f"{shown_name(Path(request.path).name)}: {exc}"
    except (ValueError, ModelError) as exc:
        return str(exc)
    except Exception as exc:  # reported in the window, never a crash
        return f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"


# -- the engine, on the GUI thread ---------------------------------------------------------------
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

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.classifier: Classifier | None = None
        self.gate = StepGate()
        self._waiting: deque[tuple[str, tuple]] = deque()  # loads and attacks, in order asked
        self._folder = ClassifyQueue()  # what is left to classify, for which generation
        self._wanted: list[str] = []  # the paths the window wants first (kept for a new list)
        self._job: Job | None = None
        self._kind = ""  # what the running job does: "load", "classify" or "attack"
        self._reply: tuple = ()  # the running job's result, told once the job has ended
        self._classifying: ClassifyQueue | None = None  # the queue the classify job works on
        self._stopped = False
        # The user's answers for bare models, by spec, while they are not saved beside them
        # (a folder that cannot be written): (preprocessing, labels file).
        self.answers: dict[str, tuple[Preprocessing, Path | None]] = {}

    # -- requests (GUI thread; they never wait) ------------------------------------------------
    def loadModel(self, spec: str, device: str) -> None:
        self._ask("load", (spec, device))

    def classify(self, generation: int, paths: list) -> None:
        self._folder = ClassifyQueue(generation, paths)
        self._folder.prioritise(self._wanted)
        if self._kind == "classify":
            self._job.cancel()  # stops after its batch; the new list is classified next
        self._start_next()

    def attack(self, request: AttackRequest) -> None:
        self._ask("attack", (request,))

    def prioritise(self, paths: list) -> None:
        """Classify these first, in this order (the selected image, then those on screen); a
        classification running takes them at its next batch."""
        self._wanted = list(paths)
        self._folder.prioritise(self._wanted)

    def set_generation(self, generation: int) -> None:
        """Drop the classification of an older folder (it stops at its next batch)."""
        if generation != self._folder.generation:
            self._folder = ClassifyQueue(generation)
            if self._kind == "classify":
                self._job.cancel()

    def cancel(self) -> None:
        self.gate.cancel()

    def arm(self) -> None:
        """Called just before an attack is asked for: an Esc pressed after this, even before
        the attack has started on the pool, cancels it."""
        self.gate.arm()

    def set_stepping(self, on: bool) -> None:
        self.gate.set_stepping(on)

    def next_step(self) -> None:
        self.gate.release()

    @property
    def running(self) -> bool:
        return self._job is not None and not self._job.done

    def stop(self) -> None:
        """The window is closing: drop what waits, cancel what runs and join it."""
        self._stopped = True
        self._waiting.clear()
        self._folder = ClassifyQueue(-1)
        self.gate.cancel()
        self.gate.set_stepping(False)
        job = self._job
        if job is not None:
            job.cancel()
            if not job.wait(JOIN_S):
                log.warning("the engine's %s did not stop within %.0f s", self._kind, JOIN_S)

    # -- scheduling ----------------------------------------------------------------------------
    def _ask(self, kind: str, args: tuple) -> None:
        self._waiting.append((kind, args))
        if self._kind == "classify":
            self._job.cancel()  # takes the engine over after the current batch
        self._start_next()

    def _start_next(self) -> None:
        if self._job is not None or self._stopped:
            return
        if self._waiting:
            kind, args = self._waiting.popleft()
            if kind == "load":
                spec = args[0]
                self._run("load", load_model, *args, *self.answers.get(spec, ()),
                          returned=self._loaded,
                          errored=lambda exc: self._model_failed(spec, exc))
                return
            if self.classifier is None:
                self.attackFailed.emit("no model is loaded yet")
                self._start_next()
                return
            self._run("attack", attack_image, self.classifier, args[0], self.gate,
                      yielded=self._attack_record, returned=self._attacked,
                      errored=lambda exc: self._attacked(f"{type(exc).__name__}: {exc}"))
            return
        if len(self._folder) and self.classifier is not None:
            self._classifying = self._folder
            self._run("classify", classify_folder, self.classifier, self._folder,
                      yielded=self._classified, errored=self._classify_failed)

    def _run(self, kind: str, work, *args, **slots) -> None:
        self._kind, self._reply = kind, ()
        self._job = Job(work, *args, connect={**slots, "finished": self._job_ended})

    def _job_ended(self) -> None:
        if self._stopped:  # closing: no reply, nothing more started
            return
        kind, reply = self._kind, self._reply
        self._job, self._kind, self._reply, self._classifying = None, "", (), None
        self._start_next()  # before the replies: one may open a modal box
        if kind == "attack":
            if not reply or reply[0] is None:
                self.attackCancelled.emit()
            elif isinstance(reply[0], str):
                self.attackFailed.emit(reply[0])
            else:
                self.attackFinished.emit(reply[0])

    # -- replies (GUI thread: the Job's queued signals) ---------------------------------------
    def _loaded(self, loaded: tuple[Classifier, ModelInfo]) -> None:
        self.classifier, info = loaded
        self.modelLoaded.emit(info)

    def _model_failed(self, spec: str, exc: Exception) -> None:
        expected = isinstance(exc, (ModelError, ValueError, OSError, RuntimeError))
        self.modelFailed.emit(spec, str(exc) if expected else f"{type(exc).__name__}: {exc}")

    def _classified(self, record) -> None:
        if isinstance(record, Classified):
            for v in record.verdicts:
                self.classified.emit(record.generation, v)
        elif isinstance(record, ClassifyDone):
            self.classifyFinished.emit(record.generation)
        else:
            self.modelWarning.emit(record.message)

    def _classify_failed(self, exc: Exception) -> None:
        log.error("classification failed: %s: %s", type(exc).__name__, exc)
        if self._classifying is self._folder:  # not retried forever: the window shows no verdicts
            self._folder.clear()

    def _attack_record(self, record) -> None:
        if isinstance(record, AttackStart):
            self.attackStarted.emit(record)
            self._verdict_from_attack(record)
        elif isinstance(record, ModelWarning):
            self.modelWarning.emit(record.message)
        else:
            self.attackStep.emit(record)

    def _verdict_from_attack(self, start: AttackStart) -> None:
        """The attacked image's clean probabilities are its verdict: it need not wait for the
        rest of the folder (nor say "not classified yet" beside its own attack)."""
        path = start.request.path
        if self._folder.discard(path):
            folder = self._folder
            self.classified.emit(folder.generation, Verdict.of(path, start.clean_probabilities))
            if not len(folder) and self._kind != "classify":  # it was the last one waiting
                self.classifyFinished.emit(folder.generation)

    def _attacked(self, reply) -> None:
        self._reply = (reply,)
