"""The window's one source of truth: the model in use, the selected image and its verdict, the
attack on it with every recorded step, and the step on screen.

Views render from this and keep no copies; saving, exporting and batch runs read it. Every change
goes through a method here that notifies the views, and a failed or cancelled action leaves it as
it was (napari's model/view split: the model knows nothing of Qt).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from advgui.core.app_state.attack_record import AttackOutcome, AttackRecord, AttackStart, AttackStep
from advgui.core.app_state.notice import SUBJECTS, Context, Notice

# "notice": the status message changed or was dropped because its subject left the screen.
EVENTS = ("model", "image", "verdict", "attack", "step", "cursor", "notice")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    device: str
    class_names: tuple[str, ...]
    class_ids: tuple[str, ...]
    size: int
    std: tuple[float, float, float]
    sha256: str
    spec: str = ""  # what was asked for: a shipped name, an .onnx path, or "" (the default)


@dataclass(frozen=True)
class Verdict:
    """One image's clean classification, or why it has none.

    Only the top five are kept: the window holds a verdict for every image of a folder, and full
    probability vectors would be 400 MB for 100,000 images.
    """

    path: str
    top: tuple[int, ...] = ()
    top_probabilities: tuple[float, ...] = ()
    error: str = ""

    @classmethod
    def of(cls, path: str, probabilities: np.ndarray, k: int = 5) -> Verdict:
        best = np.argsort(-probabilities)[:k]
        return cls(path, tuple(int(i) for i in best), tuple(float(probabilities[i]) for i in best))

    @property
    def top1(self) -> int:
        return self.top[0] if self.top else -1

    @property
    def confidence(self) -> float:
        return self.top_probabilities[0] if self.top_probabilities else -1.0


class WindowState:
    def __init__(self) -> None:
        self.model: ModelInfo | None = None
        self.model_spec = ""  # what the user chose for the model in use ("" = the default)
        self.loading_spec: str | None = None  # a model being loaded, not yet in use
        self.path = ""
        self.verdicts: dict[str, Verdict] = {}
        self.attack: AttackRecord | None = None  # the last finished attack
        self.live: AttackRecord | None = None  # the attack running now
        self.cursor: int | None = None  # the playback position; None follows the latest step
        self.font_scale = 1.0  # the text size for a room (View > Presentation, Larger Text)
        self.folder_count = 0  # folders opened so far: what a notice "about the folder" keeps
        self.notice: Notice | None = None  # the status message, while its subject is on screen
        self._listeners: dict[str, list[Callable[[], None]]] = {e: [] for e in EVENTS}

    def subscribe(self, event: str, listener: Callable[[], None]) -> None:
        self._listeners[event].append(listener)

    def _emit(self, event: str) -> None:
        for listener in self._listeners[event]:
            listener()

    # -- the status message -----------------------------------------------------------------------
    @property
    def context(self) -> Context:
        return Context(self.path, self.model.sha256 if self.model else "", self.folder_count)

    def tell(self, text: str, timeout_ms: int = 0, about: tuple[str, ...] = SUBJECTS,
             image: str | None = None) -> None:
        """Say something in the status bar about what is on screen now (by default the image,
        the model and the folder): it goes when one of those changes. `about=()` for a message
        about none of them (a save, a text size); `image` for one about a given image (an attack
        that ran on): said only while that image is the selected one. An empty text clears."""
        about = tuple(about)
        said_in = self.context.only(about)
        if image is not None and "image" in about:
            said_in = Context(image, said_in.model, said_in.folder)
        notice = Notice(text, timeout_ms, about, said_in) if text else None
        if notice is not None and not notice.holds_in(self.context):
            return  # about an image no longer on screen: nothing to say about what is
        self.notice = notice
        self._emit("notice")

    def _drop_stale_notice(self) -> None:
        if self.notice is not None and not self.notice.holds_in(self.context):
            self.notice = None
            self._emit("notice")

    # -- model ------------------------------------------------------------------------------------
    def model_requested(self, spec: str) -> None:
        self.loading_spec = spec
        self._emit("model")

    def model_loaded(self, info: ModelInfo) -> None:
        """The new model is in use: verdicts and results of the old one are gone. The spec is
        the loaded model's own: a later request still loading is still loading."""
        self.model_spec = info.spec
        if self.loading_spec == info.spec:
            self.loading_spec = None
        changed = self.model is not None and self.model.sha256 != info.sha256
        self.model = info
        if changed:
            self.verdicts.clear()
            self.attack = self.live = None
            self.cursor = None
        self._emit("model")
        if changed:
            self._emit("attack")
        self._drop_stale_notice()

    def model_failed(self, spec: str) -> None:
        """The previous model (if any) stays in use, everywhere."""
        if self.loading_spec == spec:
            self.loading_spec = None
        self._emit("model")

    @property
    def loading(self) -> bool:
        return self.loading_spec is not None

    # -- images -----------------------------------------------------------------------------------
    def new_folder(self) -> None:
        self.folder_count += 1
        self.verdicts.clear()
        self.path = ""
        self.attack = None
        self.cursor = None
        self._emit("attack")
        self._drop_stale_notice()

    def select(self, path: str) -> None:
        if path == self.path:
            return
        self.path = path
        self.cursor = None
        self._emit("image")
        self._emit("attack")
        self._drop_stale_notice()

    def set_verdict(self, verdict: Verdict) -> None:
        self.verdicts[verdict.path] = verdict
        if verdict.path == self.path:
            self._emit("verdict")

    @property
    def verdict(self) -> Verdict | None:
        return self.verdicts.get(self.path)

    # -- attacks ----------------------------------------------------------------------------------
    def attack_started(self, start: AttackStart) -> None:
        self.live = AttackRecord(start)
        self.cursor = None
        self._emit("attack")

    def attack_step(self, step: AttackStep) -> None:
        if self.live is not None:
            self.live.steps.append(step)
            self._emit("step")

    def attack_finished(self, outcome: AttackOutcome) -> None:
        if self.live is None:
            return
        self.live.outcome = outcome
        self.attack, self.live = self.live, None
        self._emit("attack")

    def attack_dropped(self) -> None:
        """Cancelled or failed: the last finished attack is again what the views show."""
        self.live = None
        self.cursor = None
        self._emit("attack")

    @property
    def running(self) -> bool:
        return self.live is not None

    @property
    def shown(self) -> AttackRecord | None:
        """The attack the views render: the running one, else the last finished one, and only
        while its image is the selected one (a result belongs to its image)."""
        for record in (self.live, self.attack):
            if record is not None and record.path == self.path:
                return record
        return None

    @property
    def result(self) -> AttackOutcome | None:
        """What Save and Copy write: the finished result of the selected image, else nothing."""
        if self.live is None and self.attack is not None and self.attack.path == self.path:
            return self.attack.outcome
        return None

    def show_step(self, index: int | None) -> None:
        record = self.shown
        self.cursor = None if record is None or index is None else record.clamp(index)
        self._emit("cursor")
