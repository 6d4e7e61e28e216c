"""The views of the window's state: each method renders what the state holds into the widgets,
and nothing else (no copies kept); the state calls them when it changes."""

from __future__ import annotations

from pathlib import Path

from advgui.core.app_state.attack_record import caption
from advgui.core.file_names import shown_name


class StateViews:
    def __init__(self, window) -> None:
        self.w = window
        state = window.state
        self._said = ""  # the notice's text as last put in the status bar
        for event, view in (("model", self.render_model), ("model", self.render_image),
                            ("image", self.render_image),
                            ("verdict", self.render_image), ("attack", self.render_attack),
                            ("step", self.render_step), ("cursor", self.render_attack),
                            ("attack", self.render_step_label), ("step", self.render_step_label),
                            ("cursor", self.render_step_label), ("notice", self.render_notice)):
            state.subscribe(event, view)
        window.tabs.currentChanged.connect(lambda _i: self.render_attack())

    def render_model(self) -> None:
        info, state = self.w.state.model, self.w.state
        if state.loading:
            still = f" (still using {info.name})" if info else ""
            self.w.model_label.setText(
                f"loading {shown_name(Path(state.loading_spec).name) or 'model'}…{still}")
        elif info is None:
            self.w.model_label.setText("Model: none loaded")
        else:
            self.w.model_label.setText(f"Model: {info.name}")
            self.w.device_label.setText(info.device.split(" (")[0])
            self.w.device_label.setToolTip(info.device)  # why CPU, when CUDA could not start
        if info is not None:
            self.w.model_picker.show_current(state.model_spec or info.name)

    def render_notice(self) -> None:
        """The state's status message; one whose image, model or folder left the screen is
        taken off the bar (unless something else has been said there since)."""
        notice, bar = self.w.state.notice, self.w.statusBar()
        if notice is not None:
            bar.showMessage(notice.text, notice.timeout_ms)
            self._said = notice.text
            return
        if self._said and bar.full_message() == self._said:
            bar.clearMessage()
        self._said = ""

    def render_step_label(self) -> None:
        """The timing of the attack on screen, and only of it: none once another image, model
        or folder is shown."""
        record = self.w.state.shown
        if record is None or not record.steps:
            self.w.step_label.setText("")
            return
        last = record.steps[-1]
        # Once done, the attack's own figure (the median step), as the "Done: …" message says
        # it: the last step's time beside it read "581 ms/step" against "1331 ms per step".
        seconds = record.outcome.seconds_per_step if record.outcome is not None else last.seconds
        self.w.step_label.setText(f"step {last.step}/{last.total} · {1000 * seconds:.0f} ms/step")

    def render_image(self) -> None:
        path, v, info = self.w.state.path, self.w.state.verdict, self.w.state.model
        if not path:
            self.w.tiers.show_image("", -1, "")
            return
        name = shown_name(Path(path).name)
        if v is None:  # never the previous image's or model's verdict while this one is due
            self.w.tiers.show_image(name, -1, "classifying…" if info is not None else "")
        elif v.error:
            self.w.tiers.show_image(name, -1, f"cannot be read — {v.error}")
        else:
            self.w.tiers.show_image(name, v.confidence, info.class_names[v.top1] if info else str(v.top1))
        if self.w.state.shown is None:
            self.render_attack()

    def render_attack(self) -> None:
        record, info = self.w.state.shown, self.w.state.model
        names = info.class_names if info else ()
        if record is None:
            v = self.w.state.verdict
            if v is not None and v.top and info is not None:
                self.w.charts.show_clean(names, v.top, v.top_probabilities)
            else:
                self.w.charts.clear()
            self.w.inspect.clear("No attack on this image yet." if self.w.state.path else "")
            self.w.inspect.second.show_pair(None, None, names)
            self.w.playback.show_record(0, 0, None, live=False)
            self.w.caption.setText("Run an attack (Return) to see it step by step."
                                 if self.w.state.path else "Open an image or a folder.")
            return
        result = self.w.state.result
        self.w.inspect.second.show_pair(result.clean_pixels if result else None,
                                        result.adversarial_pixels if result else None, names)
        cursor = self.w.state.cursor
        self.w.charts.render_now(names, record, cursor)
        self.w.inspect.render(record, cursor, names)
        self.w.playback.show_record(len(record.steps), record.total, cursor,
                                  live=record is self.w.state.live)
        self.w.caption.setText(caption(record, cursor, names))

    def render_step(self) -> None:
        """A live step: drawn only when it is what the views follow (not while scrubbing)."""
        record, info = self.w.state.shown, self.w.state.model
        if record is None or record is not self.w.state.live or info is None:
            return
        self.w.playback.show_record(len(record.steps), record.total, self.w.state.cursor, live=True)
        if self.w.state.cursor is not None:
            return
        self.w.charts.render(info.class_names, record, None)
        if self.w.tabs.currentWidget() is self.w.inspect:
            self.w.inspect.render(record, None, info.class_names)
        self.w.caption.setText(caption(record, None, info.class_names))

