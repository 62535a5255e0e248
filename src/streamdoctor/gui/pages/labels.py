"""Tiny helpers shared by pages; kept apart so the Welcome page (built before the first paint) imports little."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def wrapped_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label
