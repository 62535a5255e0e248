"""Shows exactly what a fix would change before anything changes; the user applies or walks away."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ...i18n import _
from ..buttons import name_standard_buttons


class FixDialog(QDialog):
    def __init__(self, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Fix: {title}", title=plan.title))
        layout = QVBoxLayout(self)
        intro = QLabel(plan.description)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(QLabel(_("This is exactly what will change:")))
        preview = QPlainTextEdit(plan.preview)
        preview.setReadOnly(True)
        preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        preview.setAccessibleName(_("What will change"))
        layout.addWidget(preview)
        notes = []
        if getattr(plan, "needs_admin", False):
            notes.append(_("Your computer will ask for an administrator password."))
        if getattr(plan, "reversible", True):
            notes.append(_("A backup is kept and you can undo this from the results page."))
        else:
            notes.append(_("This change cannot be undone automatically."))
        note = QLabel("\n".join(notes))
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        name_standard_buttons(buttons)
        apply = buttons.addButton(_("&Apply the fix"), QDialogButtonBox.ButtonRole.AcceptRole)
        apply.setAccessibleName(_("Apply the fix"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(600, 400)
