"""The background watch's window: the timeline and what the analysis says, refreshed by the tray."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QLabel, QLayout, QVBoxLayout, QWidget

from ..i18n import _
from .widgets.watch_timeline import WatchTimeline


class WatchWindow(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Stream Doctor: background watch"))
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # new text must not resize the window
        self.timeline = WatchTimeline(self)
        self.summary = QLabel(_("Starting the watch…"))
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(_("What the watch found"))
        layout.addWidget(self.timeline)
        layout.addWidget(self.summary)
        self.resize(720, 320)

    def show_status(self, status: dict[str, Any]) -> None:
        if status.get("missing"):
            self.summary.setText(_("Nothing recorded yet."))
            return
        self.timeline.set_timeline(status.get("timeline"))
        self.summary.setText("\n".join(status.get("lines") or []))
