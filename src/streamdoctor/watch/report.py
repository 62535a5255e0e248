"""The watch's record as a report: one "watch" result (events, states, analysis) that the rules judge and the
bundle renders (timeline chart, findings with evidence), so `watch --export` and the wizard's Save write the
same bundle IT already knows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..diagnosis import diagnose
from ..i18n import _
from ..model import Evidence, ProbeResult, Report, Status
from .analysis import analyse, ending_text, summary_lines
from .store import Store

MAX_EXPORTED_EVENTS = 5_000  # the newest ones; a month of a flapping network would otherwise bloat the bundle


def watch_result(store: Store, since: float = 0.0) -> ProbeResult:
    events = [e.as_dict() for e in store.events(since=since)][-MAX_EXPORTED_EVENTS:]
    states = store.states()
    used = {e.get("state_id") for e in events}
    states = {k: v for k, v in states.items() if k in used}
    a = analyse(events, states)
    summary = summary_lines(a)[0]
    status = Status.FAIL if a["cuts"] or a["outages"] else Status.OK
    ev = [Evidence(_("Cuts caught"), a["cuts"]), Evidence(_("Watched"), round(a["observed_s"] / 3600, 2), "h")]
    ev += [Evidence(_("Cuts {ending}", ending=ending_text(k)), n) for k, n in a["endings"].items()]
    return ProbeResult("watch", status, summary, data={"analysis": a, "events": events,
                                                       "states": {str(k): v for k, v in states.items()}},
                       evidence=ev, started_at=events[0]["t"] if events else time.time(),
                       duration_s=a["observed_s"])


def watch_report(db: Path | None = None, base_url: str = "") -> Report:
    with Store(db, readonly=True) as store:
        result = watch_result(store)
    target = next((e.get("target") for e in result.data["events"] if e.get("kind") == "start"), "")
    base = base_url or (f"https://{target}" if target else "")
    return Report(target={"base_url": base, "watch": True}, results=[result], verdict=diagnose([result], base),
                  app_version=__version__)


def analysis_of(data: dict[str, Any]) -> dict[str, Any]:
    a = data.get("analysis")
    return a if isinstance(a, dict) else {}

