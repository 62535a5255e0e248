"""The idle test's picture: one bar per test connection, counting down its silent hold, then green (it
survived) or red (the network cut it). The refined cut time is drawn as a line across the ladder."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...i18n import _, ngettext
from ..words import IDLE_ENDED, IDLE_ENDED_AFTER, RED, idle_ended_words, idle_state_words, seconds

TALLY_SEPARATOR = " · "  # between independent tallies (not sentence parts): the same in every language
WIDEST_HOLD_S = 599.0  # "9 min 59 s": the ladder's holds stay under 10 minutes
WIDEST_IDLE_S = 88.8  # "88.8 s": the widest seconds() under 120 s (longer ones read "2 min 0 s", no wider)
ANIMATION_MS = 100  # bars count down smoothly between progress events, 10 times a second is plenty


class IdleLadder(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connections: list[dict[str, Any]] = []
        self.elapsed_s = 0.0
        self.received_at = time.monotonic()
        self.cut_estimate_s: float | None = None
        self.running = False
        self.timer = QTimer(self)
        self.timer.setInterval(ANIMATION_MS)
        self.timer.timeout.connect(self.tick)
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(_("Idle test connections"))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(600, 40 + 28 * max(3, len(self.connections)))

    def set_running(self, running: bool) -> None:
        self.running = running
        if running:
            self.timer.start()
        else:
            self.timer.stop()
        self.update()

    def set_data(self, data: dict[str, Any]) -> None:
        self.connections = [c for c in data.get("connections", []) if isinstance(c, dict)]
        self.elapsed_s = float(data.get("elapsed_s") or 0.0)
        self.received_at = time.monotonic()
        self.cut_estimate_s = data.get("cut_estimate_s", self.cut_estimate_s)
        self.updateGeometry()
        self.update()

    @Slot()
    def tick(self) -> None:
        self.update()

    def now_s(self) -> float:
        extra = time.monotonic() - self.received_at if self.running else 0.0
        return self.elapsed_s + extra

    def describe(self) -> str:
        parts = []
        for c in self.connections:
            word, _colour = idle_state_words(str(c.get("state", "")))
            parts.append(_("{hold} silence: {state}", hold=seconds(float(c.get("hold_s") or 0)), state=word))
        return "; ".join(parts) or _("No test connection yet.")

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.connections:
            state = str(c.get("state", "waiting"))
            key = "cut" if state in IDLE_ENDED and state != "error" else state
            out[key] = out.get(key, 0) + 1
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fm = p.fontMetrics()
        if not self.connections:
            p.setPen(pal.windowText().color())
            p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), _("Opening test connections…"))
            return
        rows = sorted(self.connections, key=lambda c: float(c.get("hold_s") or 0.0))
        longest = max(float(c.get("hold_s") or 0.0) for c in rows) or 1.0
        # Room for the widest label this language can show (the longest hold, the longest ending)
        label_w = fm.horizontalAdvance(_("silent for {t}", t=seconds(WIDEST_HOLD_S))) + 8
        state_w = max(fm.horizontalAdvance(idle_ended_words(s, WIDEST_IDLE_S)) for s in IDLE_ENDED_AFTER) + 16
        bar_left = label_w
        bar_w = max(20, self.width() - label_w - state_w - 8)
        footer = fm.height() + 8
        row_h = min(30.0, max(3.0, (self.height() - 8 - footer) / len(rows)))
        text_rows = row_h >= fm.height() + 2
        # With many connections the rows get thin: then only every n-th row is labelled.
        label_every = 1 if text_rows else max(1, int((fm.height() + 2) // row_h) + 1)
        now_extra = time.monotonic() - self.received_at if self.running else 0.0
        bottom = 4 + len(rows) * row_h
        if self.cut_estimate_s:  # drawn first, so bars and words sit on top of it
            x = bar_left + bar_w * min(float(self.cut_estimate_s), longest) / longest
            p.setPen(QPen(RED, 2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, 0), QPointF(x, bottom))
        for i, c in enumerate(rows):
            y = 4 + i * row_h
            hold = float(c.get("hold_s") or 0.0)
            state = str(c.get("state", "waiting"))
            word, colour = idle_state_words(state)
            not_needed = state == "error" and self.cut_estimate_s is not None and hold > float(self.cut_estimate_s)
            if not_needed:  # closed by the probe once the cut was known: not a failure, just not needed
                word = _("not needed")
            frame = QRectF(bar_left, y + row_h * 0.15, bar_w * hold / longest, max(2.0, row_h * 0.7))
            p.fillRect(frame, pal.base())
            if state == "waiting":
                countdown = c.get("countdown_s")
                if countdown is None:
                    countdown = hold - (self.elapsed_s - float(c.get("started_s") or 0.0))
                remaining = max(0.0, float(countdown) - now_extra)
                fill = QRectF(frame.left(), frame.top(), frame.width() * (remaining / hold if hold else 0),
                              frame.height())
                p.fillRect(fill, pal.highlight())
                text = _("{t} left", t=seconds(remaining))
            else:
                p.fillRect(frame, colour or pal.highlight().color())
                text = word
                idle = c.get("idle_s")
                if state in IDLE_ENDED and idle is not None and not not_needed:
                    text = idle_ended_words(state, float(idle))
            if row_h >= 8:
                p.setPen(QPen(pal.mid().color(), 1))
                p.drawRect(frame)
            if i % label_every == 0:
                p.setPen(pal.windowText().color())
                p.drawText(QRectF(0, y + row_h / 2 - fm.height() / 2, label_w - 6, fm.height()),
                           int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                           _("silent for {t}", t=seconds(hold)))
                if text_rows or state != "waiting":
                    p.drawText(QRectF(bar_left + frame.width() + 8, y + row_h / 2 - fm.height() / 2,
                                      self.width() - frame.right() - 8, fm.height()),
                               int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
        p.setPen(pal.windowText().color())
        counts = self.counts()
        # Independent tallies, each whole, shown side by side like the cells of a status bar
        said = [ngettext("{n} waiting", "{n} waiting", counts["waiting"]) if counts.get("waiting") else "",
                ngettext("{n} survived", "{n} survived", counts["alive"]) if counts.get("alive") else "",
                ngettext("{n} cut", "{n} cut", counts["cut"]) if counts.get("cut") else "",
                _("cut at about {t}", t=seconds(float(self.cut_estimate_s))) if self.cut_estimate_s else ""]
        summary = TALLY_SEPARATOR.join(w for w in said if w)
        p.drawText(QRectF(bar_left, bottom + 4, self.width() - bar_left, fm.height() + 2),
                   int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), summary)
