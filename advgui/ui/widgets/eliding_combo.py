"""Combo boxes that show their whole choice when there is room and end it in '…' when there is
not (the whole text in the tooltip). Qt's own choice was 14 or 30 characters wide whatever the
room ("AdjustToMinimumContentsLength" sizes the hint too), so the Method, Target and model
combos were cut mid-word at every window size."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QSizePolicy, QStyle, QStyleOptionComboBox,
                               QStylePainter)


class _ElidedLabel(QObject):
    """Paints a non-editable combo with its current text elided to the room it has."""

    def eventFilter(self, combo, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.Paint or combo.isEditable():
            return False
        painter = QStylePainter(combo)
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = shown_text(combo)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
        painter.end()
        return True


def fit_combo(combo: QComboBox, minimum: int = 110) -> None:
    """As wide as its longest choice where the layout has room, down to `minimum` pixels where
    it has not (then '…' and the whole text in the tooltip)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.setMinimumWidth(minimum)  # below the contents: the layout may shrink it this far
    policy = combo.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
    combo.setSizePolicy(policy)
    painter = _ElidedLabel(combo)
    combo.installEventFilter(painter)

    def tip() -> None:
        combo.setToolTip(combo.currentText())

    combo.currentIndexChanged.connect(tip)
    tip()


def shown_text(combo: QComboBox) -> str:
    """The text a non-editable combo paints now (for tests: what the user reads)."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    room = field.width() - (option.iconSize.width() + 4 if not option.currentIcon.isNull() else 0)
    return combo.fontMetrics().elidedText(option.currentText, Qt.TextElideMode.ElideRight, room)


class KeepPanelWidth(QObject):
    """On a splitter: whenever it is resized, the panel gets back the width its combos want
    (taken from the widgets at `donors`, in order, each down to its minimum). Without it a window
    shown small and then enlarged gave all the new room to the charts, the combos stayed cut; at
    1024 x 768 the charts' column alone has too little to spare, the browser gives the rest."""

    def __init__(self, splitter, panel_index: int, donors: tuple[int, ...]) -> None:
        super().__init__(splitter)
        self.splitter, self.panel, self.donors = splitter, panel_index, donors
        splitter.installEventFilter(self)

    def eventFilter(self, splitter, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            # After the splitter's own resize handler: a filter runs before it, and the splitter
            # then shares the new width out again, undoing what was given back.
            QTimer.singleShot(0, self.give_back)
        return False

    def give_back(self) -> None:
        sizes = self.splitter.sizes()
        panel = self.splitter.widget(self.panel)
        if not sizes or panel is None:
            return
        wanted = min(panel.sizeHint().width(), panel.maximumWidth()) - sizes[self.panel]
        for index in self.donors:
            donor = self.splitter.widget(index)
            if wanted <= 0 or donor is None or not donor.isVisible():
                continue
            spare = sizes[index] - max(donor.minimumSizeHint().width(), donor.minimumWidth())
            more = min(wanted, spare)
            if more > 0:
                sizes[self.panel] += more
                sizes[index] -= more
                wanted -= more
        if sizes != self.splitter.sizes():
            self.splitter.setSizes(sizes)
