"""Stress test: one real streamed answer, watched live: words per second, bytes, the silence since the last
byte (ticking), and a timeline of every pause. Fed by Progress.data of the "stream" probe."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout

from ...i18n import _, fmt_num
from ...model import ProbeResult, Status
from ..state import STRESS_PROBE, WizardState
from ..widgets.gap_timeline import GapTimeline
from ..widgets.traffic_light import TrafficLight
from ..words import GREY, byte_count, seconds, status_words, stream_outcome
from ..workers import Snapshot
from .common import RunPage, wrapped_label

TICK_MS = 100


def gaps_from_samples(samples: list[Any]) -> list[tuple[float, float]]:
    """(arrival, pause before it) for every SSE event the probe recorded: the exact picture after the run."""
    out: list[tuple[float, float]] = []
    previous = 0.0
    for sample in samples:
        try:
            t = float(sample[0])
        except (TypeError, ValueError, IndexError):
            continue
        out.append((t, max(0.0, t - previous)))
        previous = t
    return out


class Figure(QFrame):
    """A big number with a caption under it."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.value = QLabel("–")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel(caption)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        self.setAccessibleName(caption)

    def set(self, text: str) -> None:
        self.value.setText(text)
        self.setAccessibleDescription(text)


class StressPage(RunPage):
    def __init__(self, state: WizardState) -> None:
        super().__init__(state)
        self.setTitle(_("Live test: Claude writes a long answer"))
        self.setSubTitle(_("We ask for a long answer and time every piece as it arrives. A healthy "
                           "connection shows a steady trickle; a cut shows as a long pause, then nothing."))
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        self.rate = Figure(_("words per second"))
        self.received = Figure(_("received"))
        self.silence = Figure(_("since the last byte"))
        self.elapsed = Figure(_("running for"))
        for i, fig in enumerate((self.rate, self.received, self.silence, self.elapsed)):
            grid.addWidget(fig, 0, i)
        layout.addLayout(grid)
        layout.addWidget(wrapped_label(_("Pauses in the answer (each line is one piece; the taller, the "
                                         "longer it was silent before it):")))
        self.timeline = GapTimeline()
        layout.addWidget(self.timeline, 1)
        self.light = TrafficLight(_("Running"), GREY)
        self.outcome = wrapped_label()
        self.outcome.setAccessibleName(_("Outcome of the live test"))
        layout.addWidget(self.light)
        layout.addWidget(self.outcome)
        layout.addLayout(self.button_row())
        self.last_data: dict[str, Any] = {}
        self.last_at = self.started_at = time.monotonic()
        self.last_elapsed = 0.0
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self.tick)

    def probes_to_run(self) -> list[Any]:
        probe = self.state.probe(STRESS_PROBE)
        return [probe] if probe is not None and self.state.api_key else []

    def before_run(self) -> None:
        self.timeline.clear()
        self.last_data = {}
        self.last_elapsed = 0.0
        self.last_at = self.started_at = time.monotonic()
        for fig in (self.rate, self.received, self.silence, self.elapsed):
            fig.set("–")
        self.light.set_state(_("Running"), GREY)
        self.light.setVisible(False)
        self.outcome.setText("")
        self.status.setText(_("Sending the test question…"))
        self.ticker.start()

    def on_snapshot(self, snapshot: Snapshot) -> None:
        points = []
        for progress in snapshot.events:
            if progress.probe != STRESS_PROBE or not progress.data:
                continue
            elapsed = float(progress.data.get("elapsed_s") or 0.0)
            since = float(progress.data.get("since_last_byte_s") or 0.0)
            if progress.data.get("bytes"):
                # The probe reports at most every 50 ms, when bytes arrive: the pause before this report is
                # the time since the previous one (exact gaps replace these when the run ends).
                points.append((elapsed - since, max(0.0, elapsed - since - self.last_elapsed)))
                self.last_elapsed = elapsed - since
            self.last_data = dict(progress.data)
            self.last_at = time.monotonic()
        self.timeline.add_points(points)
        if self.last_data:
            d = self.last_data
            self.rate.set(fmt_num(float(d.get("tokens_per_s") or 0), ".0f"))
            self.received.set(byte_count(int(d.get("bytes") or 0)))
            self.status.setText(_("Pieces of text so far: {tokens}. Keep-alive pings: {pings}.",
                                  tokens=int(d.get("tokens") or 0), pings=int(d.get("pings") or 0)))
        self.tick()

    @Slot()
    def tick(self) -> None:
        if not self.last_data:
            if self.is_running():  # nothing measured yet (the probe reports once bytes flow): show the clock
                self.elapsed.set(seconds(time.monotonic() - self.started_at))
            return
        extra = time.monotonic() - self.last_at if self.is_running() else 0.0
        now = float(self.last_data.get("elapsed_s") or 0.0) + extra
        since = float(self.last_data.get("since_last_byte_s") or 0.0) + extra
        self.silence.set(seconds(since))
        self.elapsed.set(seconds(now))
        self.timeline.set_now(now, since)

    def after_run(self, results: list[ProbeResult]) -> None:
        self.ticker.stop()
        self.light.setVisible(True)
        result = next((r for r in results if r.probe == STRESS_PROBE), None)
        if result is None:
            self.outcome.setText(_("The live test needs an API key, so it was skipped."))
            return
        d = result.data or {}
        self.timeline.set_points(gaps_from_samples(d.get("samples") or []))
        if d.get("bytes") is not None:
            self.received.set(byte_count(int(d.get("bytes") or 0)))
        if d.get("total_s") is not None:
            self.elapsed.set(seconds(float(d["total_s"])))
            self.silence.set(seconds(float(d.get("silence_before_end_s") or 0.0)))
            self.timeline.set_now(float(d["total_s"]), float(d.get("silence_before_end_s") or 0.0))
        if result.status in (Status.FAIL,) and d.get("total_s") is not None:
            self.timeline.cut_at_s = float(d["total_s"])
        _symbol, word, colour = status_words(result.status)
        self.light.set_state(word, colour)
        self.outcome.setText(stream_outcome(d, result.summary))
        self.outcome.setToolTip(result.summary)  # the probe's technical wording, for whoever wants it
        self.outcome.setAccessibleDescription(result.summary)
        self.status.setText(_("The results page explains what this means."))
