"""Save bundle: write the diagnostic bundle for IT, open its folder, copy a summary, or start an e-mail.

streamdoctor.bundle is imported lazily: without it, Save is disabled with a reason and the summary still
works (built here from the report), so the user always leaves with something to send.

"Write the report for IT in English": IT may not read the user's language. The report's texts are Msgs, so the
bundle writer (language="en") says the same report again in English, on the worker thread only: the wizard
itself keeps its language."""

from __future__ import annotations

import contextlib
import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from PySide6.QtCore import QStandardPaths, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from ... import i18n
from ...i18n import _
from ...model import Report
from ..state import WizardState
from ..words import error_text
from ..workers import Task
from .common import wrapped_label

if TYPE_CHECKING:
    from ..wizard import StreamDoctorWizard

log = logging.getLogger(__name__)
MAILTO_BODY_MAX = 1500  # mail clients truncate long mailto: URLs; the bundle carries the rest


def bundle_api() -> Any | None:
    try:
        module = importlib.import_module("streamdoctor.bundle")
    except Exception as exc:
        log.info("bundle module not available: %s", exc)
        return None
    return module if hasattr(module, "write_bundle") else None


def for_it(english: bool) -> contextlib.AbstractContextManager[object]:
    """Texts made inside the block are in English when the user asked for the English report, else as the UI."""
    return i18n.using(i18n.SOURCE) if english else contextlib.nullcontext()


def it_language(english: bool) -> str | None:
    """The language the bundle writer is asked for: English for IT on request, else the wizard's own (None)."""
    return i18n.SOURCE if english else None


def summary_of(report: Report, english: bool = False) -> str:
    """The short text for a ticket or an e-mail, in English when `english` (what IT reads)."""
    api = bundle_api()
    if api is not None and hasattr(api, "summary_text"):
        try:
            return str(api.summary_text(report, language=it_language(english)))
        except Exception:
            log.exception("summary_text failed; using the wizard's own summary")
    with for_it(english):
        return _own_summary(i18n.relocalize(report, i18n.SOURCE) if english else report)


def _own_summary(report: Report) -> str:
    lines = [_("Stream Doctor {version}: {headline}", version=report.app_version, headline=report.verdict.headline),
             ""]
    for f in report.verdict.findings:
        lines.append(_("[{severity}] {title}: {plain}", severity=f.severity.value, title=f.title, plain=f.plain))
        if f.ask_it:
            lines.append(_("  Ask IT: {text}", text=f.ask_it))
    return "\n".join(lines)


def write_bundle(report: Report, folder: Path, redact_user: bool, pseudonymize_hosts: bool,
                 english: bool = False) -> Path:
    """Runs in a worker. With `english`, the bundle writer says the report and its own pages in English for IT
    (in this thread only: the wizard keeps its language)."""
    api = bundle_api()
    if api is None:
        raise ModuleNotFoundError("the diagnostic bundle writer is missing", name="streamdoctor.bundle")
    folder.mkdir(parents=True, exist_ok=True)
    return Path(api.write_bundle(report, folder, redact_user=redact_user, pseudonymize_hosts=pseudonymize_hosts,
                                 language=it_language(english)))


class SavePage(QWizardPage):
    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.task: Task | None = None
        self.setTitle(_("Save the report for IT"))
        self.setSubTitle(_("The report holds the measurements and the text for IT. It leaves out your API "
                           "key; nothing is sent until you send it yourself."))
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_label(_("Folder to save it in:")))
        row = QHBoxLayout()
        self.folder = QLineEdit(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
                                or str(Path.home()))
        self.folder.setAccessibleName(_("Folder to save the report in"))
        browse = QPushButton(_("&Browse…"))
        browse.setAccessibleName(_("Choose the folder"))
        browse.clicked.connect(self.browse)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        self.redact_user = QCheckBox(_("Leave out my &user name and home folder"))
        self.redact_user.setChecked(True)
        self.redact_user.setAccessibleName(_("Leave out my user name"))
        self.hide_hosts = QCheckBox(_("Also replace &host names with placeholders"))
        self.hide_hosts.setAccessibleName(_("Replace host names with placeholders"))
        self.english = QCheckBox(_("Write the report for IT in &English"))
        self.english.setAccessibleName(_("Write the report for IT in English"))
        self.english.setToolTip(_("The saved report, the copied summary and the e-mail are then in English, for an "
                                  "IT department that does not read your language. This window keeps its "
                                  "language."))
        self.english.setChecked(state.report_in_english)
        self.english.toggled.connect(self.on_english_toggled)
        layout.addWidget(self.redact_user)
        layout.addWidget(self.hide_hosts)
        layout.addWidget(self.english)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("&Save the report"))
        self.save_button.setAccessibleName(_("Save the report"))
        self.save_button.clicked.connect(self.save)
        self.open_button = QPushButton(_("&Open folder"))
        self.open_button.setAccessibleName(_("Open the folder with the report"))
        self.open_button.clicked.connect(self.open_folder)
        self.open_button.setEnabled(False)
        self.copy_button = QPushButton(_("&Copy summary"))
        self.copy_button.setAccessibleName(_("Copy a summary to the clipboard"))
        self.copy_button.clicked.connect(self.copy_summary)
        self.mail_button = QPushButton(_("&E-mail IT…"))
        self.mail_button.setAccessibleName(_("Write an e-mail to IT"))
        self.mail_button.clicked.connect(self.email_it)
        self.watch_button = QPushButton(_("Keep &watching…"))
        self.watch_button.setAccessibleName(_("Keep watching in the background for cuts that come and go"))
        self.watch_button.setToolTip(_("A small background watch records every cut with the time and the "
                                       "network you were on; its icon sits next to the clock."))
        self.watch_button.clicked.connect(self.keep_watching)
        self.watch_tray: Any = None
        for b in (self.save_button, self.open_button, self.copy_button, self.mail_button, self.watch_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result = wrapped_label()
        self.result.setAccessibleName(_("Save status"))
        layout.addWidget(self.result)
        layout.addStretch(1)
        layout.addWidget(wrapped_label(_("Press <b>Finish</b> when you are done. You can run Stream Doctor "
                                         "again at any time to check that a fix worked.")))

    @Slot(bool)
    def on_english_toggled(self, on: bool) -> None:
        self.state.report_in_english = on

    @Slot()
    def keep_watching(self) -> None:
        from ..watch_tray import WatchTray  # only when asked: the wizard's start pays nothing for it

        if self.watch_tray is None:
            idle = self.state.results.get("idle")  # hold the watch's connections around the measured cut
            cut = idle.data.get("cut_s") if idle is not None and isinstance(idle.data, dict) else None
            self.watch_tray = WatchTray(self.state.base_url, self.state.lab_profile, icon=self.windowIcon(),
                                        parent=self, cut_s=float(cut) if isinstance(cut, int | float) else None)
        self.watch_tray.start()
        self.watch_tray.show_window()
        self.watch_button.setText(_("Watching in the background"))

    def owner(self) -> StreamDoctorWizard:
        return self.wizard()  # type: ignore[return-value]

    def initializePage(self) -> None:  # noqa: N802 (Qt API)
        if bundle_api() is None:
            self.save_button.setEnabled(False)
            self.result.setText(_("Saving a report is not available in this version; “Copy summary” "
                                  "still works."))

    @Slot()
    def browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, _("Save the report in"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    @Slot()
    def save(self) -> None:
        self.save_button.setEnabled(False)
        self.result.setText(_("Saving…"))
        task = Task(write_bundle, self.state.build_report(), Path(self.folder.text()).expanduser(),
                    self.redact_user.isChecked(), self.hide_hosts.isChecked(), self.state.report_in_english)
        task.signals.done.connect(self.on_saved)
        task.signals.failed.connect(self.on_save_failed)
        self.task = task
        self.owner().pool.start(task)

    @Slot(object)
    def on_saved(self, path: Path) -> None:
        self.task = None
        self.state.bundle_path = path
        self.save_button.setEnabled(True)
        self.open_button.setEnabled(True)
        self.result.setText(_("Saved: {path}. Attach this file when you write to IT.", path=path))

    @Slot(object)
    def on_save_failed(self, exc: BaseException) -> None:
        self.task = None
        self.save_button.setEnabled(True)
        self.result.setText(_("Not saved: {why}", why=error_text(exc)))

    @Slot()
    def open_folder(self) -> None:
        path = self.state.bundle_path
        folder = path.parent if path is not None else Path(self.folder.text())
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @Slot()
    def copy_summary(self) -> None:
        QApplication.clipboard().setText(summary_of(self.state.build_report(), self.state.report_in_english))
        self.result.setText(_("A summary is on the clipboard: paste it into an e-mail or a ticket."))

    def mailto_url(self) -> QUrl:
        english = self.state.report_in_english
        body = summary_of(self.state.build_report(), english)
        if len(body) > MAILTO_BODY_MAX:
            body = body[:MAILTO_BODY_MAX] + "\n…"
        with for_it(english):
            return self.mailto(body)

    def mailto(self, body: str) -> QUrl:
        if self.state.bundle_path is not None:
            body = "\n".join((body, "", _("The full report is attached ({name}).", name=self.state.bundle_path.name)))
        subject = _("Claude connections are cut on our network: Stream Doctor report")
        return QUrl(f"mailto:?subject={quote(subject)}&body={quote(body)}")

    @Slot()
    def email_it(self) -> None:
        QDesktopServices.openUrl(self.mailto_url())
        if self.state.bundle_path is not None:
            self.result.setText(_("Remember to attach {path} to the e-mail.", path=self.state.bundle_path))
