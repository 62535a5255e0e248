"""What the test pages share: start a ProbeRun when shown, live updates, Stop / Run again, and isComplete()
false while the run is going, so Next stays disabled until there is something to show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWizard, QWizardPage

from ...i18n import _
from ...model import ProbeResult
from ..words import error_text
from ..workers import LiveUpdater, ProbeRun, Snapshot
from .labels import wrapped_label

__all__ = ["RunPage", "wrapped_label"]

if TYPE_CHECKING:
    from ..state import WizardState
    from ..wizard import StreamDoctorWizard


class RunPage(QWizardPage):
    """A page that runs probes while it is shown. Subclasses say which probes and how to show progress."""

    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.run: ProbeRun | None = None
        self.updater: LiveUpdater | None = None
        self.retired: list[ProbeRun] = []  # cancelled runs, kept alive until their `finished` arrives
        self.stop_button = QPushButton(_("&Stop"))
        self.stop_button.setAccessibleName(_("Stop the test"))
        self.stop_button.clicked.connect(self.stop)
        self.again_button = QPushButton(_("Run &again"))
        self.again_button.setAccessibleName(_("Run the test again"))
        self.again_button.clicked.connect(self.start)
        self.status = wrapped_label()
        self.status.setAccessibleName(_("Test status"))

    def button_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.stop_button)
        row.addWidget(self.again_button)
        return row

    def owner(self) -> StreamDoctorWizard:
        return self.wizard()  # type: ignore[return-value]

    # --- to override ---------------------------------------------------------------------------------

    def probes_to_run(self) -> list[Any]:
        raise NotImplementedError

    def before_run(self) -> None:
        """Reset the page's display for a fresh run."""

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """Live progress, at most ~30 times a second."""

    def after_run(self, results: list[ProbeResult]) -> None:
        """Show the outcome."""

    def show_result(self, result: ProbeResult) -> None:
        """One probe finished (before the whole run has)."""

    # --- the run -------------------------------------------------------------------------------------

    def initializePage(self) -> None:  # noqa: N802 (Qt API)
        self.start()

    def cleanupPage(self) -> None:  # noqa: N802 (Qt API) — Back: stop what this page started
        self.cancel()

    def isComplete(self) -> bool:  # noqa: N802 (Qt API)
        return self.run is None

    def is_running(self) -> bool:
        return self.run is not None

    @Slot()
    def start(self) -> None:
        self.cancel()
        probes = self.probes_to_run()
        self.state.forget_results(tuple(p.name for p in probes))
        self.before_run()
        if not probes:
            self.after_run([])
            self.completeChanged.emit()
            return
        if self.state.ctx is None:
            self.state.new_context()
        run = ProbeRun(probes, self.state.ctx)
        run.signals.finished.connect(self.on_finished)
        run.signals.result.connect(self.on_result)
        self.updater = LiveUpdater(run, self.on_snapshot, self)
        self.run = run
        self.stop_button.setEnabled(True)
        self.again_button.setEnabled(False)
        self.owner().pool.start(run)
        self.completeChanged.emit()

    @Slot()
    def stop(self) -> None:
        if self.run is not None:
            self.status.setText(_("Stopping…"))
            self.run.cancel.cancel()

    def cancel(self) -> None:
        """Stop the current run and forget it: its results will not be shown (used on Back and on close)."""
        if self.run is not None:
            self.run.cancel.cancel()
            self.retired.append(self.run)
            self.run = None
            self.updater = None
            self.completeChanged.emit()

    @Slot(object)
    def on_result(self, result: ProbeResult) -> None:
        if self.run is not None and self.run.signals is self.sender():
            self.show_result(result)

    @Slot(object)
    def on_finished(self, results: list[ProbeResult]) -> None:
        sender = self.sender()
        self.retired = [r for r in self.retired if r.signals is not sender]
        run = self.run
        if run is None or run.signals is not sender:
            return  # a cancelled run finishing late
        if self.updater is not None:
            self.updater.flush()
        self.run = None
        self.updater = None
        self.state.add_results(results)
        self.stop_button.setEnabled(False)
        self.again_button.setEnabled(True)
        if run.error is not None:
            self.status.setText(error_text(run.error))
        self.after_run(results)
        self.completeChanged.emit()
        self.focus_next()

    def focus_next(self) -> None:
        """After a test, Enter means Next: the Stop button that had focus is disabled now, and Qt would hand the
        focus to Back, so Enter went back and ran the previous step again (issue 15 item 8)."""
        wizard = self.wizard()
        if wizard is None or wizard.currentPage() is not self:
            return
        nxt = wizard.button(QWizard.WizardButton.NextButton)
        if nxt.isVisible() and nxt.isEnabled():
            nxt.setDefault(True)
            nxt.setFocus(Qt.FocusReason.OtherFocusReason)

    def all_runs(self) -> list[ProbeRun]:
        return [r for r in [self.run, *self.retired] if r is not None]
