"""Welcome: what Stream Doctor does, how long it takes, what it sends where, and what stays private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QVBoxLayout, QWizardPage

from .labels import wrapped_label

if TYPE_CHECKING:
    from ..state import WizardState


class WelcomePage(QWizardPage):
    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.setTitle(self.tr("Why are Claude's answers cut off?"))
        self.setSubTitle(self.tr("Stream Doctor finds out what on your network interrupts Claude, and what to do "
                                 "about it."))
        layout = QVBoxLayout(self)
        parts = [
            self.tr("<b>What it does.</b> It looks at this computer's network settings (proxy, VPN, security "
                    "software), then sends Claude a test question and watches the answer arrive, to see whether "
                    "something on the way cuts it off, holds it back, or blocks it."),
            self.tr("<b>How long.</b> A quick check takes about a minute. A thorough check can take up to 15 "
                    "minutes, because it waits to see how long a silent connection survives."),
            self.tr("<b>What it sends, and where.</b> Only test requests to the Claude address you choose on the "
                    "next page (normally api.anthropic.com). With an API key, the test question uses a few hundred "
                    "tokens. Nothing is sent to the makers of Stream Doctor or anyone else."),
            self.tr("<b>Privacy.</b> Your key is not saved unless you ask for that, and then only in this "
                    "computer's keychain. The report stays on this computer until you choose to send it; it "
                    "leaves out your key and your user name."),
            self.tr("<b>Nothing changes by itself.</b> If a fix can be made on this computer, you see exactly what "
                    "it would do first, and you can undo it."),
        ]
        if state.is_lab:
            parts.insert(0, self.tr("<b>Demo mode.</b> This run talks to the built-in simulated Claude service "
                                    "(profile “{profile}”), not to the internet.").format(profile=state.lab_profile))
        for text in parts:
            label = wrapped_label(text)
            layout.addWidget(label)
        layout.addStretch(1)
        layout.addWidget(wrapped_label(self.tr("Press <b>Next</b> to begin.")))
