"""The batch dialog's choices (per tier, eps, methods, targets, tiers, extras) persist between
runs in the window's QSettings."""

from __future__ import annotations


class BatchChoices:
    """Mixed into BatchDialog: expects its per_tier, eps, tiers, transfer, destroy, methods and
    targets, and a parent window with `settings` (none: nothing is remembered)."""

    def _settings(self):
        return getattr(self.parentWidget(), "settings", None)

    def remember_choices(self) -> None:
        settings = self._settings()
        if settings is None:
            return
        settings.setValue("batch/per_tier", self.per_tier.value())
        settings.setValue("batch/eps", self.eps.text())
        settings.setValue("batch/tiers", self.tiers.currentData())
        settings.setValue("batch/transfer", self.transfer.text())
        settings.setValue("batch/destroy", self.destroy.text())
        for group, boxes in (("methods", self.methods), ("targets", self.targets)):
            settings.setValue(f"batch/{group}", ",".join(k for k, b in boxes.items() if b.isChecked()))

    def restore_choices(self) -> None:
        settings = self._settings()
        if settings is None or settings.value("batch/eps") is None:
            return
        try:
            self.per_tier.setValue(int(settings.value("batch/per_tier", 100)))
        except (TypeError, ValueError):
            pass
        self.eps.setText(str(settings.value("batch/eps", "8")))
        self.transfer.setText(str(settings.value("batch/transfer", "") or ""))
        self.destroy.setText(str(settings.value("batch/destroy", "") or ""))
        i = self.tiers.findData(settings.value("batch/tiers", "fixed"))
        self.tiers.setCurrentIndex(max(i, 0))
        for group, boxes in (("methods", self.methods), ("targets", self.targets)):
            chosen = str(settings.value(f"batch/{group}", "")).split(",")
            if any(c in boxes for c in chosen):
                for key, box in boxes.items():
                    box.setChecked(key in chosen)
