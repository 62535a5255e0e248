"""The wizard: pages by IntEnum id, routing in nextId(), one WizardState, one thread pool, clean shutdown.

Route: Welcome -> Setup -> Scan -> [Stress, when there is a key] -> [Idle, when thorough or something looks
wrong] -> Results -> Save. Closing at any point cancels every running test and waits for the pool (the core's
cancel closes blocked sockets, so this takes well under two seconds).

Language: the Welcome page's menu saves the choice and the wizard rebuilds its pages in the new language (every
page writes its texts when it is made; nothing has run yet on the Welcome page, so nothing is lost).
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSize, QThreadPool, QTimer, Slot
from PySide6.QtWidgets import QWidget, QWizard, QWizardPage

from .. import i18n
from ..i18n import _, os_language
from . import language
from .buttons import name_wizard_buttons
from .pages import PageId
from .pages.welcome import WelcomePage

if TYPE_CHECKING:
    from .state import WizardState

log = logging.getLogger(__name__)
SHUTDOWN_WAIT_MS = 1800


def warm_up_imports() -> None:
    """Import the anthropic SDK on a background thread while the user reads the first pages.

    The import takes 0.5-3 s and holds the GIL in bursts; done lazily by the stress test it would stall the
    GUI just as the live chart starts. A plain daemon thread, not the pool: closing the window must never wait
    for it."""

    def run() -> None:
        try:
            from ..probes.sdk_import import load_anthropic

            load_anthropic()  # under the same lock as the probes, so two threads never half-import it
        except Exception:  # the stress test reports a missing SDK in words when it runs
            log.info("warm-up import of the anthropic SDK failed", exc_info=True)

    threading.Thread(target=run, name="warm-up-imports", daemon=True).start()


class StreamDoctorWizard(QWizard):
    def __init__(self, state: WizardState, parent: QWidget | None = None, defer_pages: bool = False) -> None:
        """`defer_pages`: build only the Welcome page now and the rest right after the first paint (the user
        cannot press Next before that), which keeps start-up close to a bare QWizard's."""
        super().__init__(parent)
        self.state = state
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        if not hasattr(QWizard.WizardStyle, "MacStyle") or self.wizardStyle() != QWizard.WizardStyle.MacStyle:
            self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        from .resources import app_icon

        self.setPixmap(QWizard.WizardPixmap.LogoPixmap, app_icon().pixmap(QSize(48, 48)))
        self.warmed_up = False
        self.pages: dict[PageId, QWizardPage] = {}
        self.add_welcome_page()
        if defer_pages:
            self.pages[PageId.WELCOME].installEventFilter(self)
        else:
            self.add_remaining_pages()
        self.setStartId(PageId.WELCOME)
        self.name_buttons()
        self.resize(QSize(900, 640))
        self.setMinimumSize(QSize(640, 480))
        self.closed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Paint and watched is self.pages.get(PageId.WELCOME):
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.add_remaining_pages)  # the first page is on screen: build the rest now
        return super().eventFilter(watched, event)

    def add_welcome_page(self) -> None:
        page = WelcomePage(self.state)
        page.language_chosen.connect(self.on_language_chosen)
        self.pages[PageId.WELCOME] = page
        self.setPage(PageId.WELCOME, page)

    @Slot(str)
    def on_language_chosen(self, code: str) -> None:
        """The Welcome page's menu: remember the choice, then rebuild once the menu's signal has returned (the
        menu itself is on the page being replaced)."""
        if code == i18n.current():
            return
        try:
            os_language.save_language(code)
        except (OSError, ValueError) as exc:  # not remembered next time, but used now
            log.warning("could not save the language choice %s: %s", code, exc)
        language.apply(i18n.set_language(code))  # CJK glyphs and Qt's own words before the pages are made again
        QTimer.singleShot(0, self.retranslate)

    @Slot()
    def retranslate(self) -> None:
        """Make every page again in the current language and go back to the Welcome page."""
        if self.is_busy():  # the menu is on the Welcome page, where nothing runs; never drop a running test
            log.warning("language change ignored while a test runs")
            return
        for page_id in list(self.pages):
            page = self.pages.pop(page_id)
            self.removePage(page_id)
            page.deleteLater()
        self.add_welcome_page()
        self.add_remaining_pages()  # the window is on screen already: no first paint to wait for
        self.restart()
        self.name_buttons()

    @Slot()
    def add_remaining_pages(self) -> None:
        if PageId.SETUP in self.pages:
            return
        from .pages.idle import IdlePage
        from .pages.results import ResultsPage
        from .pages.save import SavePage
        from .pages.scan import ScanPage
        from .pages.setup import SetupPage
        from .pages.stress import StressPage

        state = self.state
        for page_id, page in ((PageId.SETUP, SetupPage(state)), (PageId.SCAN, ScanPage(state)),
                              (PageId.STRESS, StressPage(state)), (PageId.IDLE, IdlePage(state)),
                              (PageId.RESULTS, ResultsPage(state)), (PageId.SAVE, SavePage(state))):
            self.pages[page_id] = page
            self.setPage(page_id, page)
        if self.warmed_up:
            return
        self.warmed_up = True
        warm_up_imports()
        # Everything built so far lives as long as the app: move it out of the collector's sight, so a full
        # collection during a fast stream scans only new objects (a ~30 ms GUI stall otherwise).
        gc.freeze()

    def name_buttons(self) -> None:
        """The window title and the wizard's own buttons in the current language, with accessible names."""
        self.setWindowTitle(_("Stream Doctor"))
        name_wizard_buttons(self)
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                      QWizard.WizardButton.CommitButton, QWizard.WizardButton.FinishButton,
                      QWizard.WizardButton.CancelButton):
            button = self.button(which)
            button.setAccessibleName(button.text().replace("&", "").strip(" <>"))

    def nextId(self) -> int:  # noqa: N802 (Qt API)
        current = self.currentId()
        state = self.state
        if current == PageId.WELCOME:
            return PageId.SETUP
        if current == PageId.SETUP:
            return PageId.SCAN
        if current == PageId.SCAN:
            if state.stress_applies():
                return PageId.STRESS
            return PageId.IDLE if state.idle_applies() else PageId.RESULTS
        if current == PageId.STRESS:
            return PageId.IDLE if state.idle_applies() else PageId.RESULTS
        if current == PageId.IDLE:
            return PageId.RESULTS
        if current == PageId.RESULTS:
            return PageId.SAVE
        return -1

    def run_pages(self) -> list[Any]:
        from .pages.common import RunPage

        return [p for p in self.pages.values() if isinstance(p, RunPage)]

    def is_busy(self) -> bool:
        return any(p.is_running() for p in self.run_pages())

    def shutdown(self, wait_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Cancel every test, then wait for the pool. True when no worker is left running."""
        for page in self.run_pages():
            for run in page.all_runs():
                run.cancel.cancel()
            page.cancel()
        finished = self.pool.waitForDone(wait_ms)
        if not finished:
            log.warning("workers still running %d ms after cancel", wait_ms)
        return finished

    def done(self, result: int) -> None:
        if not self.closed:
            self.closed = True
            self.shutdown()
        super().done(result)
