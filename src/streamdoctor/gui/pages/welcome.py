"""Welcome: what Stream Doctor does, how long it takes, what it sends where, and what stays private; and the
language menu (on the first page, so a user who cannot read the OS's language finds theirs before anything else).
The menu lists each language by its own name; the wizard saves the choice and rebuilds its pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWizardPage

from ... import i18n
from ...i18n import _
from .labels import wrapped_label

if TYPE_CHECKING:
    from ..state import WizardState


class WelcomePage(QWizardPage):
    language_chosen = Signal(str)  # a SUPPORTED code, from the language menu

    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.setTitle(_("Why are Claude's answers cut off?"))
        self.setSubTitle(_("Stream Doctor finds out what on your network interrupts Claude, and what to do "
                           "about it."))
        layout = QVBoxLayout(self)
        layout.addLayout(self.language_row())
        parts = [
            _("<b>What it does.</b> It looks at this computer's network settings (proxy, VPN, security "
              "software), then sends Claude a test question and watches the answer arrive, to see whether "
              "something on the way cuts it off, holds it back, or blocks it."),
            _("<b>How long.</b> A quick check takes about a minute. A thorough check can take up to 15 "
              "minutes, because it waits to see how long a silent connection survives."),
            _("<b>What it sends, and where.</b> Only test requests to the Claude address you choose on the "
              "next page (normally api.anthropic.com). With an API key, the test question uses a few hundred "
              "tokens. Nothing is sent to the makers of Stream Doctor or anyone else."),
            _("<b>Privacy.</b> Your key is not saved unless you ask for that, and then only in this "
              "computer's keychain. The report stays on this computer until you choose to send it; it "
              "leaves out your key and your user name."),
            _("<b>Nothing changes by itself.</b> If a fix can be made on this computer, you see exactly what "
              "it would do first, and you can undo it."),
        ]
        if state.is_lab:
            parts.insert(0, _("<b>Demo mode.</b> This run talks to the built-in simulated Claude service "
                              "(profile “{profile}”), not to the internet.", profile=state.lab_profile))
        for text in parts:
            label = wrapped_label(text)
            layout.addWidget(label)
        layout.addStretch(1)
        layout.addWidget(wrapped_label(_("Press <b>Next</b> to begin.")))

    def language_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        self.language = QComboBox()
        for code in i18n.available():
            self.language.addItem(i18n.NATIVE_NAMES[code], code)
        found = self.language.findData(i18n.current())
        self.language.setCurrentIndex(max(found, 0))
        self.language.setAccessibleName(_("Language"))
        label = QLabel(_("&Language:"))
        label.setBuddy(self.language)
        self.language.currentIndexChanged.connect(self.on_language_changed)
        row.addWidget(label)
        row.addWidget(self.language)
        return row

    @Slot(int)
    def on_language_changed(self, index: int) -> None:
        code = self.language.itemData(index)
        if isinstance(code, str):
            self.language_chosen.emit(code)
