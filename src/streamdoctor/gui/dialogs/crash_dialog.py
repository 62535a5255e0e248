"""Shown when something unexpected breaks: what happened in one line, the details folded away, and two ways
to get them to someone who can help (copy them, or save them as a zip with the log)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Slot
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ... import paths
from ...i18n import _
from ..buttons import name_standard_buttons
from ..words import error_text


class CrashDialog(QDialog):
    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details = details
        self.setWindowTitle(_("Stream Doctor ran into a problem"))
        layout = QVBoxLayout(self)
        intro = QLabel(_(
            "Something went wrong inside Stream Doctor. Nothing on your computer was changed by this. "
            "You can keep using the app, or send the details below to whoever gave you Stream Doctor."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.text = QPlainTextEdit(details)
        self.text.setReadOnly(True)
        self.text.setAccessibleName(_("Technical details of the problem"))
        layout.addWidget(self.text)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        name_standard_buttons(buttons)
        copy = QPushButton(_("&Copy details"))
        copy.setAccessibleName(_("Copy details to the clipboard"))
        save = QPushButton(_("&Save diagnostic bundle…"))
        save.setAccessibleName(_("Save diagnostic bundle"))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(save, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_details)
        save.clicked.connect(self.save_bundle)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 420)

    @Slot()
    def copy_details(self) -> None:
        QApplication.clipboard().setText(self.details)
        self.status.setText(_("The details are on the clipboard."))

    @Slot()
    def save_bundle(self) -> None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = time.strftime("streamdoctor-crash-%Y%m%d-%H%M%S.zip")
        target, _filter = QFileDialog.getSaveFileName(self, _("Save diagnostic bundle"),
                                                str(Path(folder) / name), _("Zip files (*.zip)"))
        if not target:
            return
        try:
            self.status.setText(_("Saved to {path}", path=write_crash_bundle(self.details, Path(target))))
        except OSError as exc:
            self.status.setText(error_text(exc))


def write_crash_bundle(details: str, target: Path) -> Path:
    """A zip with the traceback and the log files; written to a temporary name first so it is never half there."""
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("crash.txt", details)
        for log_file in sorted(paths.log_dir().glob("*.log*")):
            zf.write(log_file, f"logs/{log_file.name}")
    partial.replace(target)
    return target
