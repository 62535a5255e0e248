"""The experiment matrix as a small table on the Results page: each variable tried both ways, a green or red
cell with the measured number, and the variable that flips the outcome marked in words (not by colour alone,
for colour-blind users and screen readers). Built from streamdoctor.matrix rows; no network, no state."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ...i18n import _
from ...matrix import Variant, flips
from ..words import GREEN, GREY, RED

MAX_VISIBLE_ROWS = 8  # taller tables scroll inside the page: the finding cards below must stay in view


class MatrixTable(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, 4)
        self.setHorizontalHeaderLabels([_("What we changed"), _("Variant"), _("Result"),
                                        _("Measured")])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.setAccessibleName(_("What changes the outcome"))
        self.setCornerButtonEnabled(False)
        for button in self.findChildren(QAbstractButton):  # the table's corner button: named for screen readers
            button.setAccessibleName(_("Select all rows"))

    def set_rows(self, rows: Sequence[Variant]) -> None:
        flipped = flips(rows)
        self.setRowCount(len(rows))
        words = {"ok": (_("works"), GREEN), "fail": (_("fails"), RED),
                 "untested": (_("not tested"), GREY)}
        for i, row in enumerate(rows):
            variable = (_("{variable} (changes the outcome)", variable=row.variable) if row.variable in flipped
                        else row.variable)
            word, colour = words.get(row.outcome, (row.outcome, GREY))
            result = QTableWidgetItem(word)
            result.setForeground(Qt.GlobalColor.white)
            result.setBackground(colour)
            for col, item in enumerate((QTableWidgetItem(variable), QTableWidgetItem(row.variant), result,
                                        QTableWidgetItem(row.number))):
                self.setItem(i, col, item)
        self.setVisible(bool(rows))
        shown = min(len(rows), MAX_VISIBLE_ROWS)
        height = self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(shown)) + 4
        self.setFixedHeight(height)
