"""Results: the verdict in one line, then one card per finding. A commit page: fixes change the computer,
so once the user moves on to saving, Back cannot return to a state the report no longer describes."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialog, QLabel, QScrollArea, QVBoxLayout, QWidget, QWizardPage

from ... import matrix
from ...i18n import _
from ...model import Overall, Severity
from .. import fixes_bridge
from ..dialogs.fix_dialog import FixDialog
from ..state import WizardState
from ..widgets.finding_card import FindingCard
from ..widgets.matrix_table import MatrixTable
from ..widgets.traffic_light import TrafficLight
from ..words import AMBER, GREEN, GREY, RED, error_text
from ..workers import Task
from .common import wrapped_label

if TYPE_CHECKING:
    from ..wizard import StreamDoctorWizard


class ResultsPage(QWizardPage):
    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self.setCommitPage(True)
        self.setTitle(_("What we found"))
        self.setSubTitle(_("Each card is one finding. Open “Why we think so” to see the measurements."))
        layout = QVBoxLayout(self)
        self.light = TrafficLight("", GREY)
        self.headline = wrapped_label()
        self.headline.setAccessibleName(_("Verdict"))
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.headline.setFont(font)
        layout.addWidget(self.light)
        layout.addWidget(self.headline)
        self.matrix = MatrixTable()  # each variable tried both ways; hidden when nothing was varied
        layout.addWidget(self.matrix)
        self.seen_label = wrapped_label()
        self.seen_label.setAccessibleName(_("Does this explain what you saw"))
        self.seen_label.setVisible(False)
        layout.addWidget(self.seen_label)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setAccessibleName(_("Findings"))
        layout.addWidget(self.scroll, 1)
        self.cards: list[FindingCard] = []
        self.tasks: dict[Any, tuple[Task, FindingCard, Any]] = {}
        self.undo_records: dict[FindingCard, tuple[Any, str]] = {}

    def owner(self) -> StreamDoctorWizard:
        return self.wizard()  # type: ignore[return-value]

    def initializePage(self) -> None:  # noqa: N802 (Qt API)
        report = self.state.build_report()
        verdict = report.verdict
        light = {Overall.HEALTHY: (_("All good"), GREEN), Overall.PROBLEM: (_("Problem found"), RED),
                 Overall.UNTESTED: (_("Could not test everything"), GREY)}[verdict.overall]
        if verdict.overall is Overall.PROBLEM and not any(f.severity is Severity.PROBLEM for f in verdict.findings):
            light = (_("Worth a look"), AMBER)
        self.light.set_state(*light)
        serious = [f for f in verdict.findings if f.severity is not Severity.INFO]
        if verdict.overall is Overall.PROBLEM and serious:
            # The first card says it in full; the headline only says how many and where to start.
            self.headline.setText(_("We found one thing to look at:") if len(serious) == 1 else
                                  _("We found {n} things to look at. The most important comes first:", n=len(serious)))
        else:
            self.headline.setText(verdict.headline)
        rows = matrix.build(report.results)
        self.matrix.set_rows(rows)
        flipped = matrix.flips(rows)
        if flipped and verdict.overall is Overall.PROBLEM:  # the headline names the variable that decides it
            self.headline.setText("\n".join((self.headline.text(),
                                             _("What changes the outcome here: {v}.", v=", ".join(flipped)))))
        seen = report.target.get("user_error")
        self.seen_label.setText(_("What you saw: {sentence}", sentence=seen["sentence"])
                                if isinstance(seen, dict) and seen.get("sentence") else "")
        self.seen_label.setVisible(bool(self.seen_label.text()))
        container = QWidget()
        box = QVBoxLayout(container)
        self.cards = []
        shown = [f for f in verdict.findings
                 if f.severity is not Severity.INFO or verdict.overall is not Overall.PROBLEM]
        for finding in shown:
            fixes = [fx for fx in (fixes_bridge.available_fix(i, report) for i in finding.fix_ids) if fx is not None]
            card = FindingCard(finding, fixes)
            card.fix_requested.connect(self.on_fix_requested)
            card.undo_button.clicked.connect(self.on_undo_clicked)
            box.addWidget(card)
            self.cards.append(card)
        if not shown:
            box.addWidget(self.healthy_note(verdict.overall))
        box.addStretch(1)
        self.scroll.setWidget(container)

    def healthy_note(self, overall: Overall) -> QLabel:
        if overall is Overall.HEALTHY:
            text = _("Nothing on this computer or its network interfered with Claude's answers in our tests. "
                     "If answers still break, save the report on the next page and send it to IT or support: "
                     "it shows what was tested.")
        else:
            text = _("Some checks could not run, so we cannot say for sure. The next page saves what we have.")
        label = wrapped_label(f"<p>{html.escape(text)}</p>")
        label.setAccessibleName(_("Summary"))
        return label

    @Slot(object, object)
    def on_fix_requested(self, card: FindingCard, fix: Any) -> None:
        report = self.state.build_report()
        try:
            plan = fix.preview(report)
        except Exception as exc:
            card.show_fix_status(error_text(exc))
            return
        dialog = FixDialog(plan, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        for button in card.fix_buttons:
            button.setEnabled(False)
        card.show_fix_status(_("Applying…"))
        task = Task(fixes_bridge.apply_and_verify, fix, report)
        task.signals.done.connect(self.on_fix_done)
        task.signals.failed.connect(self.on_fix_failed)
        self.tasks[task.signals] = (task, card, fix)
        self.owner().pool.start(task)

    @Slot(object)
    def on_fix_done(self, value: tuple[str, Any]) -> None:
        _task, card, fix = self.tasks.pop(self.sender())
        record_id, outcome = value
        self.undo_records[card] = (fix, record_id)
        card.undo_button.setVisible(True)
        if getattr(outcome, "ok", False):
            card.show_fix_status(_("Fixed, and checked again: {detail}", detail=outcome.detail))
        else:
            card.show_fix_status(_("Applied, but the check afterwards still sees the problem: {detail}. "
                                   "You can undo it.", detail=getattr(outcome, "detail", "")))

    @Slot(object)
    def on_fix_failed(self, exc: BaseException) -> None:
        _task, card, _fix = self.tasks.pop(self.sender())
        for button in card.fix_buttons:
            button.setEnabled(True)
        card.show_fix_status(_("The fix was not applied: {why}", why=error_text(exc)))

    @Slot()
    def on_undo_clicked(self) -> None:
        card = next((c for c in self.cards if c.undo_button is self.sender()), None)
        if card is None or card not in self.undo_records:
            return
        fix, record_id = self.undo_records.pop(card)
        card.undo_button.setEnabled(False)
        task = Task(fixes_bridge.revert, fix, record_id)
        task.signals.done.connect(self.on_undo_done)
        task.signals.failed.connect(self.on_fix_failed)
        self.tasks[task.signals] = (task, card, fix)
        self.owner().pool.start(task)

    @Slot(object)
    def on_undo_done(self, _result: object) -> None:
        _task, card, _fix = self.tasks.pop(self.sender())
        card.undo_button.setVisible(False)
        card.undo_button.setEnabled(True)
        for button in card.fix_buttons:
            button.setEnabled(True)
        card.show_fix_status(_("Undone: everything is as it was before the fix."))



