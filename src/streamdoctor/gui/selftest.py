"""`streamdoctor --self-test`: walk the whole wizard headless on the lab (the clean profile and a fault
profile), check that every page was reached and the verdict is the profile's, exit 0 or 1.

The packaging smoke test runs this on the frozen binary, so it must print nothing on success: Qt's own
messages go to the log (crash.install_qt_message_handler) and a failure prints one line per problem.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from . import crash

log = logging.getLogger(__name__)

PROFILES = ("clean", "idle-reset")
STEP_MS = 50
PROFILE_TIMEOUT_MS = 120_000


def run_self_test(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    crash.headless = True
    from .app import make_application

    app = make_application()
    problems: list[str] = binding_problems()
    for name in PROFILES:
        problems += [f"{name}: {p}" for p in walk_profile(app, name)]
    problems += [f"crash: {c.splitlines()[-1]}" for c in crash.headless_failures]
    for problem in problems:
        log.error("self-test: %s", problem)
        if sys.stderr is not None:
            print(f"streamdoctor self-test: {problem}", file=sys.stderr)
    return 1 if problems else 0


def binding_problems() -> list[str]:
    """PySide6-Essentials 6.12.0 on Python 3.11 drops a reference to None/True/False on many calls and the
    app then dies with "none_dealloc" after a few thousand of them. Catch such a build before shipping it."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(200):
        label.setText("x")
    if sys.getrefcount(None) < before - 100:
        import PySide6

        return [f"PySide6 {PySide6.__version__} corrupts reference counts on Python "
                f"{sys.version.split()[0]}; use another PySide6 version (6.11.x works)"]
    return []


def walk_profile(app: Any, profile_name: str) -> list[str]:
    from ..lab import get_profile
    from .app import lab_state
    from .wizard import StreamDoctorWizard

    profile = get_profile(profile_name)
    with lab_state(profile_name) as state, tempfile.TemporaryDirectory() as tmp:
        state.quick = False  # thorough, so every page that exists is visited
        wizard = StreamDoctorWizard(state)
        driver = WizardDriver(wizard, Path(tmp))
        wizard.show()
        driver.start()
        code = app.exec()
        wizard.shutdown()
        wizard.close()
        problems = list(driver.problems)
        if code != 0 and not problems:
            problems.append(f"event loop exited with {code}")
        problems += check_walk(driver, state, profile)
        wizard.deleteLater()
    return problems


def check_walk(driver: Any, state: Any, profile: Any) -> list[str]:
    from ..model import Overall
    from .pages import PageId

    problems = []
    expected = [PageId.WELCOME, PageId.SETUP, PageId.SCAN, PageId.STRESS, PageId.RESULTS, PageId.SAVE]
    missing = [p.name for p in expected if p not in driver.visited]
    if missing:
        problems.append(f"pages not reached: {', '.join(missing)}")
    report = state.report
    if report is None:
        return problems + ["no report was built"]
    causes = {f.cause for f in report.verdict.findings}
    if profile.expect and profile.expect not in causes:
        problems.append(f"expected finding {profile.expect!r}, got {sorted(causes) or 'none'}")
    stream = report.result("stream")
    if not profile.expect and (stream is None or stream.status.value != "ok"):
        problems.append(f"the stress test did not complete: {stream.summary if stream else 'no result'}")
    if not profile.expect and report.verdict.overall is Overall.PROBLEM:
        stream_problems = [f.cause for f in report.verdict.findings if f.rule.startswith("stream.")]
        if stream_problems:
            problems.append(f"clean profile reported {stream_problems}")
    if driver.card_count == 0 and report.verdict.findings:
        problems.append("the results page showed no cards")
    return problems


class WizardDriver(QObject):
    """Presses Next whenever the current page is complete, like a patient user; no processEvents loops."""

    def __init__(self, wizard: Any, bundle_dir: Path) -> None:
        super().__init__(wizard)
        self.wizard = wizard
        self.bundle_dir = bundle_dir
        self.visited: list[int] = []
        self.problems: list[str] = []
        self.card_count = 0
        self.timer = QTimer(wizard)
        self.timer.setInterval(STEP_MS)
        self.timer.timeout.connect(self.step)
        self.deadline = QTimer(wizard)
        self.deadline.setSingleShot(True)
        self.deadline.timeout.connect(self.give_up)

    def start(self) -> None:
        self.timer.start()
        self.deadline.start(PROFILE_TIMEOUT_MS)

    @Slot()
    def step(self) -> None:

        from .pages import PageId

        wizard = self.wizard
        current = wizard.currentId()
        if not self.visited or self.visited[-1] != current:
            self.visited.append(current)
            if current == PageId.RESULTS:
                self.card_count = len(wizard.page(PageId.RESULTS).cards)
        page = wizard.currentPage()
        if page is None or not page.isComplete():
            return
        if current == PageId.SAVE:
            self.timer.stop()
            save_page = wizard.page(PageId.SAVE)
            save_page.summary_check = save_page.mailto_url().toString()
            if save_page.save_button.isEnabled():
                from .pages.save import write_bundle

                try:
                    write_bundle(wizard.state.build_report(), self.bundle_dir, True, False)
                except Exception as exc:
                    self.problems.append(f"the bundle could not be written: {exc}")
            self.deadline.stop()
            QApplication.exit(0)
            return
        wizard.next()

    @Slot()
    def give_up(self) -> None:
        self.timer.stop()
        self.problems.append(f"timed out on page {self.wizard.currentId()}")
        QApplication.exit(1)
