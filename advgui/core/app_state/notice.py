"""A status message tagged with what it is about: the image, the model and the folder on screen
when it was said. It is dropped as soon as one of those changes, so the status bar never says
"Done: goldfish" beside the cannon or times an attack of a model no longer in use.

Qt-free: the window state holds the notice and checks it; the status bar only renders it.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a notice can be about; () is about nothing on screen (a setting, a save, a text size).
SUBJECTS = ("image", "model", "folder")


@dataclass(frozen=True)
class Context:
    """What is on screen: the selected image, the model in use (its hash) and the folder opened
    (a count of the folders opened, so reopening the same folder is a new context too)."""

    image: str = ""
    model: str = ""
    folder: int = 0

    def only(self, about: tuple[str, ...]) -> Context:
        """This context reduced to the subjects named (the others blank, so they always match)."""
        unknown = set(about) - set(SUBJECTS)
        if unknown:
            raise ValueError(f"a notice can be about {', '.join(SUBJECTS)}, not {sorted(unknown)}")
        return Context(self.image if "image" in about else "",
                       self.model if "model" in about else "",
                       self.folder if "folder" in about else 0)


@dataclass(frozen=True)
class Notice:
    text: str
    timeout_ms: int  # 0: until another message replaces it (or its subject changes)
    about: tuple[str, ...]
    said_in: Context  # the context reduced to `about` when it was said

    def holds_in(self, now: Context) -> bool:
        """Whether it is still about what is on screen."""
        return now.only(self.about) == self.said_in
