"""Scan: the environment and network checks as a live checklist. The list is whatever probes.all_probes()
returns, so a new probe shows up here without touching the GUI."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QProgressBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from ...i18n import _
from ...model import ProbeResult, Status
from ..state import IDLE_PROBE, OWN_PAGE_PROBES, STRESS_PROBE, WizardState
from ..words import GREY, status_words
from ..workers import Snapshot
from .common import RunPage, wrapped_label


def dot_icon(colour: QColor | None, size: int = 12) -> QIcon:
    screen = QGuiApplication.primaryScreen()
    ratio = screen.devicePixelRatio() if screen is not None else 1.0
    pixmap = QPixmap(QSize(round(size * ratio), round(size * ratio)))  # crisp on High-DPI screens
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    if colour is not None:
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(colour)
        p.setPen(colour.darker(130))
        p.drawEllipse(1, 1, size - 2, size - 2)
        p.end()
    return QIcon(pixmap)


class ScanPage(RunPage):
    def __init__(self, state: WizardState) -> None:
        super().__init__(state)
        self.setTitle(_("Checking this computer and its network"))
        self.setSubTitle(_("Each line is one check. You can stop at any time."))
        layout = QVBoxLayout(self)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([_("Result"), _("Check"), _("What we saw")])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAccessibleName(_("Checklist"))
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.tree, 1)
        self.bar = QProgressBar()
        self.bar.setAccessibleName(_("Checks finished"))
        # TRANSLATORS: Qt fills in %v (checks finished) and %m (all checks); keep both as they are.
        self.bar.setFormat(_("%v of %m checks done"))
        layout.addWidget(self.bar)
        layout.addLayout(self.button_row())
        self.note = wrapped_label()
        layout.addWidget(self.note)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.finished_count = 0

    def probes_to_run(self) -> list[Any]:
        return self.state.scan_probes()

    def initializePage(self) -> None:  # noqa: N802 (Qt API)
        self.state.new_context()
        super().initializePage()

    def before_run(self) -> None:
        from ...probes import all_probes

        self.tree.clear()
        self.items = {}
        planned = self.state.planned_names()
        for probe in all_probes():
            item = QTreeWidgetItem(["", _(probe.title), ""])
            self.items[probe.name] = item
            self.tree.addTopLevelItem(item)
            if probe.name not in planned:
                self.set_row(probe.name, "–", _("Not in a quick check"), GREY, _("Choose Thorough to "
                                                                                 "include it."))
            elif probe.name == STRESS_PROBE:
                if self.state.api_key:
                    self.set_row(probe.name, "→", _("Next"), None, _("Runs on the next page, live."))
                else:
                    self.set_row(probe.name, "–", _("Skipped"), GREY, _("Needs an API key."))
            elif probe.name == IDLE_PROBE:
                self.set_row(probe.name, "→", _("Later"), None, _("Runs on its own page, live."))
            else:
                self.set_row(probe.name, "…", _("Waiting"), None, "")
        total = len(self.probes_to_run())
        self.finished_count = 0
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(0 if total else 1)
        self.status.setText(_("Checking…") if total else "")
        self.note.setText("")
        if self.run is None:
            self.stop_button.setEnabled(bool(total))

    def set_row(self, name: str, symbol: str, word: str, colour: QColor | None, detail: str) -> None:
        item = self.items.get(name)
        if item is None:
            return
        item.setIcon(0, dot_icon(colour))
        item.setText(0, f"{symbol} {word}")
        item.setText(2, detail)
        item.setToolTip(2, detail)
        item.setData(0, Qt.ItemDataRole.AccessibleTextRole, word)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        for name, progress in snapshot.latest.items():
            if name in OWN_PAGE_PROBES or name not in self.items:
                continue
            item = self.items[name]
            if item.data(0, Qt.ItemDataRole.UserRole):  # already has its result
                continue
            self.set_row(name, "⟳", _("Checking"), None, progress.detail or _("Working…"))

    def show_result(self, result: ProbeResult) -> None:
        symbol, word, colour = status_words(result.status)
        self.set_row(result.probe, symbol, word, colour, result.summary)
        item = self.items.get(result.probe)
        if item is not None and not item.data(0, Qt.ItemDataRole.UserRole):
            item.setData(0, Qt.ItemDataRole.UserRole, True)
            self.finished_count += 1
            self.bar.setValue(min(self.finished_count, self.bar.maximum()))

    def after_run(self, results: list[ProbeResult]) -> None:
        for result in results:
            self.show_result(result)
        self.bar.setValue(self.bar.maximum())
        counts: dict[Status, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        if not results:
            self.status.setText(_("No separate environment checks to run in this version."))
        elif counts.get(Status.CANCELLED):
            self.status.setText(_("Stopped. You can run the checks again, or go on with what we have."))
        else:
            # TRANSLATORS: the numbers of checks in each state after the scan ("Passed: 5" style avoids plurals)
            self.status.setText(_("Done. Passed: {ok}. Worth a look: {warn}. Found a problem: {fail}. Could not "
                                  "check: {error}. Skipped: {skipped}.", ok=counts.get(Status.OK, 0),
                                  warn=counts.get(Status.WARN, 0), fail=counts.get(Status.FAIL, 0),
                                  error=counts.get(Status.ERROR, 0), skipped=counts.get(Status.SKIPPED, 0)))
        if self.state.stress_applies():
            self.note.setText(_("Next: a live test answer from Claude."))
        else:
            self.note.setText(_("Next: the results."))
