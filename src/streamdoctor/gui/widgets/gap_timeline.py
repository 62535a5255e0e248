"""The stress test's picture: when each piece of the answer arrived and how long the silence before it was.

A healthy stream is a row of short ticks; an idle cut is one tall tick and then nothing; a buffering proxy is
a long silence followed by everything at once. Points are bucketed per pixel column so 5,000 samples cost
the same to paint as 500.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...i18n import _, ngettext
from ..words import RED

BUCKETS = 512  # time buckets kept; painting costs the same for 50 or 50,000 arrivals
INITIAL_SPAN_S = 5.0


class GapTimeline(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.now_s = 0.0
        self.silence_s = 0.0  # the silence still going on at now_s
        self.cut_at_s: float | None = None
        self.clear_points()
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(_("Timeline of pauses in the answer"))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(600, 200)

    def clear_points(self) -> None:
        # Each bucket holds the longest pause that ended in its time slice (-1: nothing arrived). When an
        # arrival falls past the last bucket, neighbours merge and the slices double: memory and paint cost stay
        # fixed however long or fast the stream is.
        self.bucket_s = INITIAL_SPAN_S / BUCKETS
        self.buckets = [-1.0] * BUCKETS
        self.count = 0
        self.longest = 0.0
        self.last_t = 0.0

    def clear(self) -> None:
        self.clear_points()
        self.now_s = self.silence_s = 0.0
        self.cut_at_s = None
        self.update()

    def add_points(self, points: list[tuple[float, float]]) -> None:
        for t, gap in points:
            t = max(0.0, t)
            while t >= self.bucket_s * BUCKETS:
                b = self.buckets
                self.buckets = [max(b[i], b[i + 1]) for i in range(0, BUCKETS, 2)] + [-1.0] * (BUCKETS // 2)
                self.bucket_s *= 2
            i = int(t / self.bucket_s)
            if gap > self.buckets[i]:
                self.buckets[i] = gap
            self.count += 1
            self.longest = max(self.longest, gap)
            self.last_t = max(self.last_t, t)

    def set_points(self, points: list[tuple[float, float]]) -> None:
        self.clear_points()
        self.add_points(points)
        self.update()

    def set_now(self, now_s: float, silence_s: float) -> None:
        self.now_s, self.silence_s = now_s, silence_s
        self.update()

    def describe(self) -> str:
        """A text version of the chart for screen readers and the accessible description."""
        if not self.count:
            return _("Nothing has arrived yet.")
        return ngettext("{n} piece arrived; the longest pause was {s:.1f} s.",
                        "{n} pieces arrived; the longest pause was {s:.1f} s.", self.count, s=self.longest)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.windowText().color()
        fm = p.fontMetrics()
        left, bottom = fm.horizontalAdvance(_("{s:.1f} s", s=88.8)) + 8, fm.height() + 6
        plot = QRectF(left, 6, max(10, self.width() - left - 10), max(10, self.height() - bottom - 12))
        p.fillRect(plot, pal.base())
        p.setPen(QPen(pal.mid().color(), 1))
        p.drawRect(plot)

        span = max(INITIAL_SPAN_S, self.now_s, self.last_t) * 1.05
        top = max(1.0, self.silence_s, self.longest) * 1.15

        def x_of(t: float) -> float:
            return plot.left() + plot.width() * min(t, span) / span

        def y_of(g: float) -> float:
            return plot.bottom() - plot.height() * min(g, top) / top

        # Axis labels: time along the bottom, silence up the side.
        p.setPen(text)
        for frac in (0.0, 0.5, 1.0):
            t = span / 1.05 * frac
            label = _("{s:.1f} s", s=t) if span < 20 else _("{s:.0f} s", s=t)
            p.drawText(QPointF(x_of(t) - fm.horizontalAdvance(label) * frac, plot.bottom() + fm.ascent() + 3), label)
            g = top / 1.15 * frac
            p.drawText(QRectF(0, y_of(g) - fm.height() / 2, left - 6, fm.height()),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), _("{s:.1f} s", s=g))

        # One vertical line per pixel column: the longest silence that ended in that column.
        columns: dict[int, float] = {}
        for i, g in enumerate(self.buckets):
            if g < 0:
                continue
            col = int(x_of((i + 0.5) * self.bucket_s))
            if g > columns.get(col, -1.0):
                columns[col] = g
        p.setPen(QPen(pal.highlight().color(), 2))
        p.drawLines([QLineF(c, plot.bottom(), c, y_of(max(g, top * 0.01))) for c, g in columns.items()])

        # The silence going on right now: a hatched block growing from the last arrival.
        if self.silence_s > 0.2 and self.now_s > 0:
            start = x_of(self.now_s - self.silence_s)
            block = QRectF(start, y_of(self.silence_s), max(2.0, x_of(self.now_s) - start),
                           plot.bottom() - y_of(self.silence_s))
            shade = pal.highlight().color()
            shade.setAlpha(70)
            p.fillRect(block, shade)
            p.setPen(text)
            p.drawText(block.adjusted(4, 2, 0, 0), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
                       _("silent {s:.1f} s", s=self.silence_s))
        if self.cut_at_s is not None:
            p.setPen(QPen(RED, 2, Qt.PenStyle.DashLine))
            x = x_of(self.cut_at_s)
            p.drawLine(QLineF(x, plot.top(), x, plot.bottom()))
            p.drawText(QPointF(min(x + 4, plot.right() - 60), plot.top() + fm.ascent() + 2), _("cut"))
