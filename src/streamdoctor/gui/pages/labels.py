"""Tiny helpers shared by pages; kept apart so the Welcome page (built before the first paint) imports little.

Why `wrapped_choice`: a QCheckBox or QRadioButton never wraps its text, so a long option (longer still in German or
French) sets the page's minimum width and the wizard no longer fits a 1024x700 screen. The option's words go into a
word-wrapping label beside a bare button instead; clicking the words works like clicking the button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QLabel, QWidget


def wrapped_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class ChoiceLabel(QLabel):
    """The words of a check box or radio button: wraps, and a click on it clicks the button."""

    def __init__(self, text: str, button: QAbstractButton) -> None:
        super().__init__(text)
        self.button = button
        self.setWordWrap(True)
        self.setBuddy(button)  # the text's &-shortcut moves the focus to the button
        self.setTextFormat(Qt.TextFormat.PlainText)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton and self.button.isEnabled():
            self.button.click()
        super().mouseReleaseEvent(event)


def wrapped_choice(button: QAbstractButton) -> QWidget:
    """A row with `button` and its text moved into a wrapping label beside it; returns the row."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    text = button.text()
    button.setText("")
    label = ChoiceLabel(text, button)
    button.setProperty("choice_label", label)
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
    layout.addWidget(label, 1)
    return row
