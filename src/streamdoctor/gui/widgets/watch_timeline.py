"""The background watch's timeline, drawn with QPainter from the same Timeline the report's SVG draws
(watch/timeline.py): network/VPN bands, ✕ for cuts, grey for outages, triangles for wake-ups, dashed lines for
network changes. Colours follow the palette so the dark scheme works."""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...i18n import N_, _
from ...watch.timeline import Timeline, axis_unit

BAND_COLOURS = ("#90caf9", "#ffcc80", "#a5d6a7", "#ce93d8", "#fff59d", "#80deea")
CUT = QColor("#c62828")
WAKE = QColor("#1565c0")
MARGIN = 12
# watch.timeline.axis_unit's unit name -> the axis end label ("+5 hours"), whole, so each language words it
AXIS_END = {"hours": N_("+{n} h"), "minutes": N_("+{n} min"), "seconds": N_("+{n} s")}


class WatchTimeline(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline: Timeline | None = None
        self.setMinimumSize(480, 200)  # bands, axis and a legend of up to ~5 networks; fixed, so a refresh
        # never resizes a shown window
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(_("Timeline of the background watch"))

    def set_timeline(self, tl: Timeline | None) -> None:
        self.timeline = tl
        if tl is not None:
            self.setAccessibleDescription(_("Cuts: {cuts}. Outages: {outages}. Wake-ups: {wakes}. Network changes: "
                                            "{changes}.", cuts=len(tl.cuts), outages=len(tl.outages),
                                            wakes=len(tl.wakes), changes=len(tl.changes)))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        ink = pal.color(pal.ColorRole.WindowText)
        tl = self.timeline
        if tl is None:
            p.setPen(ink)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, _("Nothing recorded yet"))
            return
        x0, x1 = MARGIN, self.width() - MARGIN
        top, band_h = 22, 50

        def x(t: float) -> float:
            return x0 + (x1 - x0) * (t - tl.t0) / tl.span

        labels = sorted({b[2] for b in tl.bands})
        colour = {label: QColor(BAND_COLOURS[i % len(BAND_COLOURS)]) for i, label in enumerate(labels)}
        p.setPen(Qt.PenStyle.NoPen)
        for b0, b1, label in tl.bands:
            c = QColor(colour[label])
            c.setAlpha(150)
            p.fillRect(QRectF(x(b0), top, max(1.0, x(b1) - x(b0)), band_h), c)
        for o0, o1 in tl.outages:
            p.fillRect(QRectF(x(o0), top + band_h - 10, max(2.0, x(o1) - x(o0)), 10), QColor("#9e9e9e"))
        p.setPen(QPen(ink, 1, Qt.PenStyle.DashLine))
        for t in tl.changes:
            p.drawLine(QPointF(x(t), top - 6), QPointF(x(t), top + band_h))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(WAKE)
        for t in tl.wakes:
            p.drawPolygon(QPolygonF([QPointF(x(t), top - 2), QPointF(x(t) - 5, top - 10), QPointF(x(t) + 5, top - 10)]))
        p.setPen(QPen(CUT, 2))
        for t, _ending in tl.cuts:
            cx, cy = x(t), top + band_h / 2
            p.drawLine(QPointF(cx - 4, cy - 4), QPointF(cx + 4, cy + 4))
            p.drawLine(QPointF(cx - 4, cy + 4), QPointF(cx + 4, cy - 4))
        p.setPen(ink)
        unit, name = axis_unit(tl.span)
        y = top + band_h + 16
        p.drawText(QPointF(x0, y), time.strftime("%H:%M", time.localtime(tl.t0)))
        end = _(AXIS_END.get(name, AXIS_END["seconds"]), n=round(tl.span / unit))
        p.drawText(QRectF(x0, y - 12, x1 - x0, 16), Qt.AlignmentFlag.AlignRight, end)
        ly = y + 20
        for label in labels:
            p.fillRect(QRectF(x0, ly - 10, 12, 12), colour[label])
            p.drawText(QPointF(x0 + 18, ly), label)
            ly += 16
