"""Setup: the API key (optional), where Claude is reached, how thorough the check is, and what the user saw.

"What did you see?" (issue 17) lets the user pick or paste the error text; the Results page then says whether
what was measured explains it. Matching is a table lookup (error_texts), done when the report is built.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWizardPage,
)

from ...cli import validate_base_url
from ...error_texts import clean, examples
from ...errors import UserError
from ...i18n import _
from ...urls import sends_key_in_cleartext
from .. import keystore
from ..buttons import name_standard_buttons
from ..state import DEFAULT_BASE_URL, WizardState
from ..words import error_text
from ..workers import Task
from .common import wrapped_label
from .labels import wrapped_choice

if TYPE_CHECKING:
    from ..wizard import StreamDoctorWizard

MIN_ERROR_BOX_CHARS = 30  # wide enough to recognise an error message; the popup shows each example whole


class SetupPage(QWizardPage):
    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.loaded_from_keychain = False
        self.key_task: Task | None = None  # the keychain look-up in the pool, referenced until it reports
        self.keychain_writes: list[Task] = []  # saving or forgetting the key, referenced until each reports
        self.setTitle(_("A few choices before we start"))
        self.setSubTitle(_("Everything here is optional; the usual choices are already made."))
        layout = QVBoxLayout(self)

        key_box = QGroupBox(_("Your Claude API key (optional)"))
        key_layout = QVBoxLayout(key_box)
        key_layout.addWidget(wrapped_label(_(
            "With a key, a thorough check also asks Claude for a test answer and watches it arrive. Without one, "
            "Stream Doctor still checks your network, proxy and VPN settings.")))
        row = QHBoxLayout()
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(_("sk-ant-… (leave empty to skip the live test)"))
        self.key_edit.setAccessibleName(_("API key"))
        self.key_edit.textChanged.connect(self.on_key_changed)
        self.show_key = QCheckBox(_("S&how"))
        self.show_key.setAccessibleName(_("Show the API key"))
        self.show_key.toggled.connect(self.on_show_key)
        row.addWidget(self.key_edit, 1)
        row.addWidget(self.show_key)
        key_layout.addLayout(row)
        self.remember = QCheckBox(_("&Remember the key in this computer's keychain"))
        self.remember.setAccessibleName(_("Remember the key in the keychain"))
        key_layout.addWidget(wrapped_choice(self.remember))
        self.key_note = wrapped_label()
        self.key_note.setAccessibleName(_("About the key"))
        key_layout.addWidget(self.key_note)
        layout.addWidget(key_box)

        where_box = QGroupBox(_("Where do you reach Claude?"))
        where_layout = QVBoxLayout(where_box)
        self.official = QRadioButton(_("&Directly at api.anthropic.com (most people)"))
        self.official.setAccessibleName(_("Use api.anthropic.com"))
        self.custom = QRadioButton(_("Through my company's &gateway or another address:"))
        self.custom.setAccessibleName(_("Use a company gateway address"))
        self.where_group = QButtonGroup(self)
        self.where_group.addButton(self.official)
        self.where_group.addButton(self.custom)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://claude-gateway.example.com")
        self.url_edit.setAccessibleName(_("Gateway address"))
        self.url_error = wrapped_label()
        self.url_error.setAccessibleName(_("Problem with the address"))
        where_layout.addWidget(wrapped_choice(self.official))
        where_layout.addWidget(wrapped_choice(self.custom))
        where_layout.addWidget(self.url_edit)
        where_layout.addWidget(self.url_error)
        layout.addWidget(where_box)
        self.official.toggled.connect(self.on_where_changed)
        self.url_edit.textChanged.connect(self.on_where_changed)

        depth_box = QGroupBox(_("How thorough?"))
        depth_layout = QVBoxLayout(depth_box)
        self.quick = QRadioButton(_("&Quick: about a minute; checks settings and connections only"))
        self.quick.setAccessibleName(_("Quick check"))
        self.thorough = QRadioButton(_("&Thorough (recommended): a few minutes, up to 15; adds a live test "
                                       "answer and measures how long a silent connection survives"))
        self.thorough.setAccessibleName(_("Thorough check"))
        self.depth_group = QButtonGroup(self)
        self.depth_group.addButton(self.quick)
        self.depth_group.addButton(self.thorough)
        depth_layout.addWidget(wrapped_choice(self.quick))
        depth_layout.addWidget(wrapped_choice(self.thorough))
        layout.addWidget(depth_box)

        seen_box = QGroupBox(_("What did you see? (optional)"))
        seen_layout = QVBoxLayout(seen_box)
        self.error_edit = QComboBox()
        self.error_edit.setEditable(True)
        self.error_edit.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # The examples are long: sized by them, the box would set the page's width (popup still shows them whole)
        self.error_edit.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.error_edit.setMinimumContentsLength(MIN_ERROR_BOX_CHARS)
        self.error_edit.addItem("")
        self.error_edit.addItems(examples())
        self.error_edit.setCurrentIndex(0)
        self.error_edit.lineEdit().setPlaceholderText(_("Pick the error message, or paste it here"))
        self.error_edit.setAccessibleName(_("The error message you saw"))
        self.error_edit.lineEdit().setAccessibleName(_("The error message you saw"))
        seen_layout.addWidget(self.error_edit)
        self.read_logs = QCheckBox(_("Also read Claude Code's own recent logs on this computer (only "
                                     "redacted network lines go into the report)"))
        self.read_logs.setAccessibleName(_("Read Claude Code's logs"))
        self.read_logs.setChecked(state.read_client_logs)
        seen_layout.addWidget(wrapped_choice(self.read_logs))
        self.user_clients = QCheckBox(_("Also test with the Claude clients installed here (Claude Code, the "
                                        "Node SDK, curl): each answers one short question with its own "
                                        "sign-in, which may use your quota"))
        self.user_clients.setAccessibleName(_("Test with my installed clients"))
        self.user_clients.setChecked(state.run_user_clients)
        seen_layout.addWidget(wrapped_choice(self.user_clients))
        layout.addWidget(seen_box)
        layout.addStretch(1)

        self.quick.setChecked(state.quick)
        self.thorough.setChecked(not state.quick)
        self.official.setChecked(True)
        if state.is_lab:
            self.key_edit.setText(state.api_key)
            self.key_edit.setEnabled(False)
            self.remember.setEnabled(False)
            self.key_note.setText(_("Demo mode: a test key for the simulated service is filled in."))
            self.custom.setChecked(True)
            self.url_edit.setText(state.lab_url)
            self.official.setEnabled(False)
            self.custom.setEnabled(False)
            self.url_edit.setEnabled(False)
        self.on_where_changed()

    def initializePage(self) -> None:  # noqa: N802 (Qt API)
        if self.state.is_lab or self.key_edit.text():
            return
        env_key = os.environ.get("ANTHROPIC_API_KEY", "")
        if env_key:
            self.key_edit.setText(env_key)
            self.key_note.setText(_("Filled in from the ANTHROPIC_API_KEY setting on this computer."))
            return
        if self.key_task is not None:
            return  # a look-up is already under way (Back, then Next again)
        # A locked keychain can block for up to a minute while the OS asks for its password: never on this thread.
        self.key_note.setText(_("Looking for a remembered key in this computer's keychain…"))
        task = Task(keystore.load_key)
        task.signals.done.connect(self.on_key_loaded)
        self.key_task = task
        self.owner().pool.start(task)

    def owner(self) -> StreamDoctorWizard:
        return self.wizard()  # type: ignore[return-value]

    @Slot(object)
    def on_key_loaded(self, value: tuple[str, str]) -> None:
        self.key_task = None
        key, problem = value
        wizard = self.wizard()
        if wizard is None or wizard.currentPage() is not self:
            return  # the user went on without it: the run they started has no key, the page must agree
        if self.key_edit.text():  # typed one meanwhile: theirs wins
            self.key_note.setText("")
            return
        if key:
            self.loaded_from_keychain = True
            self.key_edit.setText(key)
            self.remember.setChecked(True)
            self.key_note.setText(_("Filled in from this computer's keychain."))
        elif not problem:
            self.key_note.setText(_("No key: the live stress test will be skipped."))
        else:
            self.remember.setEnabled(False)
            self.remember.setToolTip(_("No keychain is available on this computer."))
            self.key_note.setText(_("This computer has no usable keychain, so the key will only be used "
                                    "for this session."))

    @Slot(bool)
    def on_show_key(self, shown: bool) -> None:
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    @Slot(str)
    def on_key_changed(self, text: str) -> None:
        if not self.state.is_lab and not text:
            self.key_note.setText(_("No key: the live stress test will be skipped."))

    @Slot()
    def on_where_changed(self) -> None:
        self.url_edit.setEnabled(self.custom.isChecked() and not self.state.is_lab)
        self.url_error.setText(self.url_problem())
        self.completeChanged.emit()

    def url_problem(self) -> str:
        if not self.custom.isChecked() or self.state.is_lab:
            return ""
        if not self.url_edit.text().strip():
            return _("Type the address of the gateway, for example https://claude-gateway.example.com")
        try:
            validate_base_url(self.url_edit.text())
        except UserError as exc:
            return error_text(exc)
        return ""

    def isComplete(self) -> bool:  # noqa: N802 (Qt API)
        return not self.url_problem()

    def confirm_cleartext_key(self) -> bool:
        """Plain http:// to another machine: the key would cross the network readable (the CLI asks the same and
        wants --allow-plain-http). No is the default."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Warning, _("Send your key without encryption?"),
                          _("This address uses plain HTTP, so your API key would travel across the network "
                            "unencrypted, readable by anyone on the way. Send it anyway? Choose No to run only the "
                            "checks that need no key."),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        name_standard_buttons(box)
        return box.exec() == QMessageBox.StandardButton.Yes

    def validatePage(self) -> bool:  # noqa: N802 (Qt API)
        state = self.state
        state.quick = self.quick.isChecked()
        state.user_error = clean(self.error_edit.currentText())
        state.read_client_logs = self.read_logs.isChecked()
        state.run_user_clients = self.user_clients.isChecked()
        state.report = None
        if state.is_lab:
            return True
        state.base_url = validate_base_url(self.url_edit.text()) if self.custom.isChecked() else DEFAULT_BASE_URL
        state.api_key = self.key_edit.text().strip()
        if state.api_key and sends_key_in_cleartext(state.base_url) and not self.confirm_cleartext_key():
            state.api_key = ""  # the key-free checks still run; nothing is sent with the key
            self.key_note.setText(_("Your key is not sent to this address: only the checks that need no "
                                    "key run."))
        state.remember_key = self.remember.isChecked() and bool(state.api_key)
        # Writing to the keychain can block like reading it (the OS may ask for its password): in the pool too.
        # The key is used for this run either way; the keychain only decides whether it is there next time.
        if state.remember_key:
            self.write_keychain(keystore.save_key, state.api_key)
        elif self.loaded_from_keychain and not self.remember.isChecked():
            self.write_keychain(keystore.forget_key)
            self.loaded_from_keychain = False
        return True

    def write_keychain(self, fn: Callable[..., str], *args: str) -> None:
        task = Task(fn, *args)
        task.signals.done.connect(self.on_keychain_written)
        self.keychain_writes.append(task)
        self.owner().pool.start(task)

    @Slot(object)
    def on_keychain_written(self, problem: str) -> None:
        self.keychain_writes = [t for t in self.keychain_writes if t.signals is not self.sender()]
        if problem:  # seen when the user goes back to this page; the run goes on with the key
            self.key_note.setText(_("The keychain refused the key ({why}); it is used for this session only.",
                                    why=problem))
