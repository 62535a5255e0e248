"""Starts the wizard: crash hook and Qt message routing first, then QApplication, the lab (for --lab) and
the window. Heavy modules (the anthropic SDK, the lab, the probes) are imported only when a page needs them,
which keeps the time to the first painted page close to a bare QWizard's."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from . import crash

log = logging.getLogger(__name__)


def make_application() -> Any:
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        return app
    # Crisp on fractional scaling (125 %, 150 %) instead of rounding the whole UI to 1x or 2x.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setApplicationName("Stream Doctor")
    QCoreApplication.setOrganizationName("streamdoctor")
    app = QApplication(sys.argv[:1])
    QGuiApplication.setDesktopFileName("streamdoctor")
    from .resources import app_icon

    app.setWindowIcon(app_icon())
    from .. import i18n
    from .fonts import install_for

    install_for(i18n.current())  # the bundled CJK font, for ja and zh_CN only
    return app


def choose_language(ui_languages: Sequence[str] | None = None) -> str:
    """The wizard's language before its first window: --lang (STREAMDOCTOR_LANG), the menu's saved choice, then
    the OS, where Qt adds what the environment does not say (macOS's AppleLanguages for an app started from
    Finder); `ui_languages` stands in for Qt's list in tests. Returns the code in use."""
    from .. import i18n
    from ..i18n import os_language

    if ui_languages is None:
        from PySide6.QtCore import QLocale

        ui_languages = QLocale.system().uiLanguages()
    code = i18n.set_language(os_language.choose(None, ui_languages))
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:  # fonts and Qt's catalog are installed in a running application
        from .language import apply

        apply(code)
    return code


@contextlib.contextmanager
def lab_state(profile_name: str | None) -> Iterator[Any]:
    """A WizardState; with a lab profile, the simulated API runs for as long as the block (the wizard) lives."""
    from .state import WizardState

    if not profile_name:
        yield WizardState()
        return
    from ..cli import lab_or_real
    from ..lab import LAB_API_KEY

    # The same lab the CLI's `check --lab` uses (TLS with a throwaway CA where the profile serves TLS).
    with lab_or_real(profile_name, None) as (url, overrides, ca_file):
        yield WizardState(lab_profile=profile_name, lab_url=url, lab_overrides=overrides, ca_file=ca_file,
                          api_key=LAB_API_KEY, key_source="lab")


def run_gui(args: argparse.Namespace) -> int:
    crash.install_excepthook()  # before QApplication exists, so nothing escapes silently
    crash.install_qt_message_handler()
    logging.captureWarnings(True)  # library warnings belong in the log, not on a windowed app's stderr
    if getattr(args, "self_test", False):
        from .selftest import run_self_test

        return run_self_test(args)
    app = make_application()
    choose_language()
    from .wizard import StreamDoctorWizard

    with lab_state(getattr(args, "lab", None)) as state:
        wizard = StreamDoctorWizard(state, defer_pages=True)
        if os.environ.get("STREAMDOCTOR_EXIT_AFTER_FIRST_PAINT"):
            _exit_after_first_paint(wizard)
        wizard.show()
        try:
            return int(app.exec())
        finally:
            wizard.shutdown()


def _exit_after_first_paint(wizard: Any) -> None:
    """For bench/bench_gui_startup.py: print the wall-clock time of the first painted page, then quit."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
            if event.type() == QEvent.Type.Paint:
                print(f"first-paint {time.time():.6f}", flush=True)
                obj.removeEventFilter(self)
                QTimer.singleShot(0, QApplication.quit)
            return False

    page = wizard.currentPage() or wizard.page(wizard.startId())
    wizard._first_paint = FirstPaint(wizard)
    page.installEventFilter(wizard._first_paint)
