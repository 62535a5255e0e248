"""One finding as a card: traffic light and title, the one-sentence verdict, "why we think so" with the
evidence (folded), a "Fix it" button per fix that exists, and the text to forward to IT with a Copy button."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
)

from ...i18n import _
from ...model import Finding
from ..words import severity_words
from .traffic_light import TrafficLight


class FindingCard(QFrame):
    fix_requested = Signal(object, object)  # (card, fix)

    def __init__(self, finding: Finding, fixes: list[Any]) -> None:
        super().__init__()
        self.finding = finding
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(finding.title)
        layout = QVBoxLayout(self)
        word, colour = severity_words(finding.severity)
        head = QHBoxLayout()
        self.light = TrafficLight(word, colour)
        title = QLabel(f"<b>{html.escape(finding.title)}</b>")
        title.setWordWrap(True)
        head.addWidget(self.light)
        head.addSpacing(12)
        head.addWidget(title, 1)
        layout.addLayout(head)
        plain = QLabel(finding.plain)
        plain.setWordWrap(True)
        plain.setAccessibleName(_("Verdict"))
        layout.addWidget(plain)

        self.why_button = QToolButton()
        self.why_button.setText(_("Why we think so"))
        self.why_button.setCheckable(True)
        self.why_button.setArrowType(Qt.ArrowType.RightArrow)
        self.why_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.why_button.setAccessibleName(_("Show why we think so"))
        self.why_button.toggled.connect(self.on_why_toggled)
        layout.addWidget(self.why_button)
        items = "".join(f"<li>{html.escape(e.text())}</li>" for e in finding.evidence)
        self.why = QLabel(f"<ul>{items}</ul>" if items else _("No measurements recorded."))
        self.why.setWordWrap(True)
        self.why.setAccessibleName(_("Evidence"))
        self.why.setVisible(False)
        layout.addWidget(self.why)

        self.fix_buttons: list[QPushButton] = []
        self.fix_status = QLabel("")
        self.fix_status.setWordWrap(True)
        self.fix_status.setVisible(False)
        self.fixes = fixes
        if fixes:
            row = QHBoxLayout()
            for fix in fixes:
                button = QPushButton(_("Fix it: {title}", title=fix.title))
                button.setAccessibleName(_("Fix it: {title}", title=fix.title))
                button.setProperty("fix_id", fix.id)
                button.clicked.connect(self.on_fix_clicked)
                row.addWidget(button)
                self.fix_buttons.append(button)
            row.addStretch(1)
            layout.addLayout(row)
            layout.addWidget(self.fix_status)
        self.undo_button = QPushButton(_("&Undo the fix"))
        self.undo_button.setAccessibleName(_("Undo the fix"))
        self.undo_button.setVisible(False)
        layout.addWidget(self.undo_button)

        self.ask_it: QPlainTextEdit | None = None
        if finding.ask_it:
            layout.addWidget(QLabel(_("What to ask your IT department:")))
            row = QHBoxLayout()
            self.ask_it = QPlainTextEdit(finding.ask_it)
            self.ask_it.setReadOnly(True)
            self.ask_it.setAccessibleName(_("Text for IT"))
            self.ask_it.setMaximumHeight(self.fontMetrics().lineSpacing() * 5 + 14)
            copy = QPushButton(_("Copy"))
            copy.setAccessibleName(_("Copy the text for IT"))
            copy.clicked.connect(self.copy_ask_it)
            row.addWidget(self.ask_it, 1)
            row.addWidget(copy)
            layout.addLayout(row)

    @Slot(bool)
    def on_why_toggled(self, shown: bool) -> None:
        self.why.setVisible(shown)
        self.why_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    @Slot()
    def on_fix_clicked(self) -> None:
        fix_id = self.sender().property("fix_id")
        fix = next((f for f in self.fixes if f.id == fix_id), None)
        if fix is not None:
            self.fix_requested.emit(self, fix)

    @Slot()
    def copy_ask_it(self) -> None:
        QApplication.clipboard().setText(self.finding.ask_it)

    def show_fix_status(self, text: str) -> None:
        self.fix_status.setText(text)
        self.fix_status.setVisible(True)
