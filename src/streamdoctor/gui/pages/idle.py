"""Idle test: how long may a connection stay silent before the network cuts it? Each test connection is a
bar counting down its silence, turning green (survived) or red (cut). Fed by Progress.data of "idle"."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout

from ...i18n import _
from ...model import ProbeResult, Status
from ..state import IDLE_PROBE, WizardState
from ..widgets.idle_ladder import IdleLadder
from ..widgets.traffic_light import TrafficLight
from ..words import GREEN, GREY, RED, seconds, status_words
from ..workers import Snapshot
from .common import RunPage, wrapped_label


class IdlePage(RunPage):
    def __init__(self, state: WizardState) -> None:
        super().__init__(state)
        self.setTitle(_("How long may a connection stay silent?"))
        self.setSubTitle(_("Claude often thinks silently before it answers. Some networks cut connections "
                           "that are quiet for too long. We open a few test connections, keep each silent "
                           "for a different time, and see which ones survive."))
        layout = QVBoxLayout(self)
        self.ladder = IdleLadder()
        layout.addWidget(self.ladder, 1)
        self.light = TrafficLight(_("Running"), GREY)
        layout.addWidget(self.light)
        self.outcome = wrapped_label()
        self.outcome.setAccessibleName(_("Outcome of the idle test"))
        layout.addWidget(self.outcome)
        layout.addLayout(self.button_row())

    def probes_to_run(self) -> list[Any]:
        probe = self.state.probe(IDLE_PROBE)
        return [probe] if probe is not None else []

    def before_run(self) -> None:
        self.ladder.set_data({})
        self.ladder.set_running(True)
        self.light.setVisible(False)
        self.outcome.setText("")
        self.status.setText(_("Opening test connections…"))

    def on_snapshot(self, snapshot: Snapshot) -> None:
        progress = snapshot.latest.get(IDLE_PROBE)
        if progress is None:
            return
        self.show_data(dict(progress.data or {}))
        if progress.detail:
            self.status.setText(progress.detail)

    def show_data(self, data: dict[str, Any]) -> None:
        self.ladder.set_data(data)
        self.ladder.setAccessibleDescription(self.ladder.describe())
        cut = data.get("cut_estimate_s")
        if cut:
            self.outcome.setText(_("So far: silent connections are cut after about {t}.", t=seconds(float(cut))))

    def after_run(self, results: list[ProbeResult]) -> None:
        self.ladder.set_running(False)
        self.light.setVisible(True)
        result = next((r for r in results if r.probe == IDLE_PROBE), None)
        if result is None:
            self.outcome.setText(_("The idle test is not available in this version."))
            return
        d = result.data or {}
        if d.get("connections"):
            self.ladder.set_data({"connections": d["connections"], "elapsed_s": d.get("max_tested_s") or 0.0,
                                  "cut_estimate_s": d.get("cut_s")})
        cut = d.get("cut_s")
        bracket = d.get("bracket") or []
        if result.status in (Status.OK, Status.WARN, Status.FAIL):
            if cut:
                if len(bracket) == 2 and bracket[0] is not None and bracket[1] is not None:
                    text = _("Silent connections are cut after about {t} (between {lo} and {hi}).",
                             t=seconds(float(cut)), lo=seconds(float(bracket[0])), hi=seconds(float(bracket[1])))
                else:
                    text = _("Silent connections are cut after about {t}.", t=seconds(float(cut)))
                self.light.set_state(_("Cut"), RED)
                self.outcome.setText(text)
            else:
                self.light.set_state(_("Survived"), GREEN)
                self.outcome.setText(_("Every test connection survived {t} of silence.",
                                       t=seconds(float(d.get("max_tested_s") or 0.0))))
        else:
            _symbol, word, colour = status_words(result.status)
            self.light.set_state(word, colour)
            self.outcome.setText(result.summary)
        self.status.setText("")
