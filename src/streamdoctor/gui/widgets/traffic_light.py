"""A coloured dot with a word next to it: colour for a glance, the word for everyone who cannot rely on it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget


class Dot(QWidget):
    def __init__(self, colour: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = colour
        self.setFixedSize(QSize(18, 18))

    def set_colour(self, colour: QColor) -> None:
        self.colour = colour
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(self.palette().windowText().color())
        p.setBrush(self.colour)
        p.drawEllipse(QRectF(1.5, 1.5, self.width() - 3, self.height() - 3))


class TrafficLight(QWidget):
    def __init__(self, word: str, colour: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.dot = Dot(colour)
        self.label = QLabel(word)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        layout.addWidget(self.dot, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setAccessibleName(word)

    def set_state(self, word: str, colour: QColor) -> None:
        self.dot.set_colour(colour)
        self.label.setText(word)
        self.setAccessibleName(word)
