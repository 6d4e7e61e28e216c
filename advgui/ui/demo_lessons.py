"""Demo > a prepared lesson: the window's runner is made on first use (most sessions never run a
lesson: its module is imported only then) and its note placed for the layout in use."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advgui.ui.lesson_runner import LessonRunner


class DemoLessons:
    def __init__(self, window) -> None:
        self.w = window
        self._runner: LessonRunner | None = None

    def runner(self) -> LessonRunner:
        if self._runner is None:
            from advgui.ui.lesson_runner import LessonRunner  # noqa: PLC0415

            self._runner = LessonRunner(self.w)
        return self._runner

    def run(self, key: str) -> None:
        """Driven through the panel as a user's clicks would."""
        runner = self.runner()
        self.w.presentation_layout.place_note(runner.note)
        runner.run(key)
