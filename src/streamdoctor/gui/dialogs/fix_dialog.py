"""Shows exactly what a fix would change before anything changes; the user applies or walks away."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


class FixDialog(QDialog):
    def __init__(self, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Fix: {title}").format(title=plan.title))
        layout = QVBoxLayout(self)
        intro = QLabel(plan.description)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(QLabel(self.tr("This is exactly what will change:")))
        preview = QPlainTextEdit(plan.preview)
        preview.setReadOnly(True)
        preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        preview.setAccessibleName(self.tr("What will change"))
        layout.addWidget(preview)
        notes = []
        if getattr(plan, "needs_admin", False):
            notes.append(self.tr("Your computer will ask for an administrator password."))
        if getattr(plan, "reversible", True):
            notes.append(self.tr("A backup is kept and you can undo this from the results page."))
        else:
            notes.append(self.tr("This change cannot be undone automatically."))
        note = QLabel(" ".join(notes))
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        apply = buttons.addButton(self.tr("&Apply the fix"), QDialogButtonBox.ButtonRole.AcceptRole)
        apply.setAccessibleName(self.tr("Apply the fix"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(600, 400)
