"""Runs a Demo lesson (advgui.core.app_state.lessons) through the window's own request path, as
a user's clicks would: the lesson's model, the sample photos opened and its photo selected, the
attack panel set, Run pressed; then its check (the JPEG'd adversarial classified again, or the
second model chosen on the Inspect tab) and the sentence to read aloud in the lesson's note.

A lesson is a generator that yields what it waits for (a predicate); a timer resumes it when the
predicate holds, so the window keeps drawing the attack's steps meanwhile."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer

from advgui.core.app_state.lessons import (JPEG, LESSON_MODEL, LESSONS, SECOND_MODEL, Lesson,
                                           LessonResult, PanelSettings, Scored, explanation,
                                           jpeg_probabilities, lesson)
from advgui.core.model.registry import shipped_models
from advgui.ui.widgets.lesson_note import LessonNote
from advgui.ui.workers.job import Job

Wait = Callable[[], bool]
POLL_MS = 50
# Between the two runs of a comparison: long enough for the room to read the first result.
PAUSE_S = 2.0
# A model load, a folder listing or a second model's first scoring that takes longer has failed.
GIVE_UP_S = 120.0


class LessonStopped(Exception):
    """Why a lesson could not go on; the note says it."""


def readable(model: str) -> str:
    """A shipped model's short title ("EfficientNet-Lite0"), else its name."""
    for entry in shipped_models():
        if entry.name == model:
            return entry.title.split(" (")[0]
    return model


def lesson_runner(window) -> "LessonRunner":
    """The window's runner (made the first time a lesson is asked for, then kept)."""
    return window.demo.runner()


class LessonRunner(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.note = LessonNote()
        # Under the window's caption, above the charts: read with them, never covering them.
        column = window.caption.parentWidget().layout()
        column.insertWidget(column.indexOf(window.caption) + 1, self.note)
        self.lesson: Lesson | None = None
        self._script: Generator[Wait, None, None] | None = None
        self._wait: Wait = lambda: True
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._advance)
        self._ended: list[tuple[str, object]] = []  # the engine's replies to the lesson's runs
        self._jpeg: list[tuple[str, object]] = []  # the JPEG check's reply
        self._second: list[tuple] = []  # the second model's answers, each with what it scored
        self._job: Job | None = None
        self._photo_chosen = False  # before: the folder opening selects its first photo itself
        engine = window.engine
        engine.attackFinished.connect(lambda out: self._ended.append(("finished", out)))
        engine.attackFailed.connect(lambda message: self._ended.append(("failed", message)))
        engine.attackCancelled.connect(lambda: self._ended.append(("cancelled", None)))
        window.inspect.second.scored.connect(lambda *answer: self._second.append(answer))
        window.state.subscribe("image", self._image_changed)
        window.installEventFilter(self)

    @property
    def running(self) -> bool:
        return self._script is not None

    # -- starting, resuming, ending -----------------------------------------------------------
    def run(self, key: str) -> None:
        if self.running:
            self.w.statusBar().showMessage("A lesson is running: wait for its end (Esc "
                                           "cancels its attack).", 5000)
            return
        if self.w.attacking:
            self.w.statusBar().showMessage("An attack is running: cancel it first (Esc).", 5000)
            return
        self.lesson = lesson(key)
        self._photo_chosen = False
        self._script = self._steps(self.lesson)
        self._wait = lambda: True
        self._timer.start()
        self._advance()

    def _advance(self) -> None:
        try:
            while self._script is not None and self._wait():
                self._wait = next(self._script)
        except StopIteration:
            self._end()
        except LessonStopped as stopped:
            self._say(f"Lesson stopped: {stopped}")
            self._end()

    def _end(self) -> None:
        self._timer.stop()
        self._script = None

    def stop(self) -> None:
        """The window closes: no more steps; a running check is joined."""
        self._end()
        if self._job is not None:
            self._job.wait(10)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.w and event.type() == QEvent.Type.Close:
            self.stop()
        return False

    def _image_changed(self) -> None:
        """Another photo chosen by the user: the note (about the lesson's photo) goes, and a
        running lesson stops driving the window (an attack it started ends as any other)."""
        if (self.lesson is None or not self._photo_chosen
                or Path(self.w.state.path).name == self.lesson.photo):
            return
        self._end()
        self.note.hide()

    # -- the lesson ---------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        item = self.lesson
        # Short: one line at Larger Text x2 on a 1024-pixel projector.
        self.note.show_lesson(f"Lesson {LESSONS.index(item) + 1} · {item.name}", text)

    def _steps(self, item: Lesson) -> Generator[Wait, None, None]:
        w = self.w
        yield from self._use_lesson_model()
        path = yield from self._select_photo(item.photo)
        # The lesson is told by the bars: a previous lesson (the transfer one) or the teacher
        # left Inspect or Explain in front, and the attack's start keeps the tab it finds.
        w.show_probabilities()
        names = w.state.model.class_names
        result: LessonResult | None = None
        out = None
        for i, settings in enumerate(item.runs):
            counted = f"Run {i + 1} of {len(item.runs)}: " if len(item.runs) > 1 else ""
            self._say(f"{counted}{self._describe(settings)}…")
            out = yield from self._press_run(settings, path)
            if result is None:
                result = LessonResult(Scored.top(out.clean_probabilities, names),
                                      model=readable(w.state.model.name))
            shown = Scored.top(out.adversarial_probabilities, names)
            result.runs.append(shown)
            result.target = Scored(names[out.target], float(out.clean_probabilities[out.target]))
            if i + 1 < len(item.runs):
                self._say(f"{counted}done: the model now says {shown}. Next: "
                          f"{self._describe(item.runs[i + 1])}.")
                until = time.monotonic() + PAUSE_S
                yield lambda: time.monotonic() >= until
        if item.check == "jpeg":
            yield from self._check_jpeg(out, result, names)
        elif item.check == "second-model":
            yield from self._check_second_model(out, result)
        self._say(explanation(item, result))

    def _describe(self, settings: PanelSettings) -> str:
        panel = self.w.attack_panel
        target = panel.target.itemText(panel.target.findData(settings.target))
        return f"{settings.describe()}, target “{target}”"

    def _use_lesson_model(self) -> Generator[Wait, None, None]:
        w = self.w
        self._say("Waiting for the model…")
        yield self._within(lambda: w.state.model is not None and not w.state.loading,
                           "the model did not load")
        if w.state.model.name != LESSON_MODEL:
            self._say(f"Switching to {LESSON_MODEL}, the model this lesson was prepared with…")
            w.switch_model(LESSON_MODEL)
            yield self._within(lambda: not w.state.loading, f"{LESSON_MODEL} did not load")
            if w.state.model is None or w.state.model.name != LESSON_MODEL:
                raise LessonStopped(f"{LESSON_MODEL} could not be loaded")

    def _select_photo(self, photo: str) -> Generator[Wait, None, str]:
        from advgui.samples import FOLDER  # noqa: PLC0415

        def listed() -> str:
            for entry in self.w.images.entries:
                if Path(entry.path).name == photo and Path(entry.path).parent.resolve() == FOLDER:
                    return entry.path
            return ""

        if not listed():
            self._say("Opening the sample photos…")
            self.w.open_samples()
            yield self._within(lambda: bool(listed()), "the sample photos could not be listed")
        path = listed()
        self.w.select_image(path)
        self._photo_chosen = True
        return path

    def _press_run(self, settings: PanelSettings, path: str) -> Generator[Wait, None, object]:
        """Set the panel as a user would and press its Run; the engine's reply."""
        w, panel = self.w, self.w.attack_panel
        panel.kurakin.setChecked(settings.steps is None and settings.alpha is None)
        panel.method.setCurrentIndex(panel.method.findData(settings.method))
        panel.target.setCurrentIndex(panel.target.findData(settings.target))
        panel.eps.setValue(settings.eps)
        if settings.alpha is not None:
            panel.alpha.setValue(settings.alpha)
        if settings.steps is not None:
            panel.steps.setValue(settings.steps)
        self._ended.clear()
        panel.request_run()
        if not w.attacking:
            raise LessonStopped("the attack did not start (see the status bar)")
        yield lambda: bool(self._ended) and not w.attacking
        kind, reply = self._ended[-1]
        if kind == "cancelled":
            raise LessonStopped("the attack was cancelled.")
        if kind == "failed":
            raise LessonStopped(f"the attack failed: {str(reply).splitlines()[0]}")
        if reply.request.path != path:
            raise LessonStopped("another photo was attacked.")
        return reply

    def _check_jpeg(self, out, result: LessonResult, names) -> Generator[Wait, None, None]:
        self._say(f"The adversarial says {result.runs[-1]}. Saving it as a JPEG (quality "
                  f"{JPEG.amount:g}) and classifying it again…")
        self._jpeg.clear()
        self._job = Job(jpeg_probabilities, self.w.engine.classifier, out.adversarial_pixels,
                        connect={"returned": lambda p: self._jpeg.append(("jpeg", p)),
                                 "errored": lambda exc: self._jpeg.append(("error", exc))})
        yield self._within(lambda: bool(self._jpeg), "the JPEG check did not answer")
        kind, answer = self._jpeg[-1]
        if kind == "error":
            raise LessonStopped(f"the JPEG check failed: {answer}")
        result.checked = Scored.top(np.asarray(answer), names)

    def _check_second_model(self, out, result: LessonResult) -> Generator[Wait, None, None]:
        """The second model chosen on the Inspect tab, as a user would; its verdict there."""
        w = self.w
        second = w.inspect.second
        w.show_inspect()
        self._say(f"The adversarial says {result.runs[-1]}. Asking "
                  f"{readable(SECOND_MODEL)} about the same two images (Inspect tab)…")
        # Answers about earlier results are not this lesson's.
        self._second[:] = [a for a in self._second if a[4] is out.adversarial_pixels]
        index = second.model.findData(SECOND_MODEL)
        if index < 0:
            raise LessonStopped(f"{SECOND_MODEL} is not installed")
        second.model.setCurrentIndex(index)  # already chosen: it asked when the result came
        yield self._within(
            lambda: any(a[4] is out.adversarial_pixels for a in self._second),
            f"{SECOND_MODEL} did not answer")
        name, clean, adversarial, names, _pixels = next(
            a for a in self._second if a[4] is out.adversarial_pixels)
        if clean is None:
            raise LessonStopped(f"{SECOND_MODEL} could not score: {name}")
        result.second_model = readable(name)
        result.checked_clean = Scored.top(clean, names)
        result.checked = Scored.top(adversarial, names)

    def _within(self, done: Wait, failure: str) -> Wait:
        """`done`, or a LessonStopped saying `failure` once GIVE_UP_S have passed."""
        until = time.monotonic() + GIVE_UP_S

        def check() -> bool:
            if done():
                return True
            if time.monotonic() > until:
                raise LessonStopped(failure)
            return False
        return check
