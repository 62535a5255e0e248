"""Rules over the background watch's record: each correlation becomes a finding with its counts as evidence,
and the rechecks after network changes say whether the client needs a restart or the network is broken.

A correlation is never more than "these cuts went with that state"; the cause still comes from the idle test
and the other checks, so the confidence is medium at most, and high only for the sticky state, which the
recheck measured directly (an old connection dead, a fresh one fine, at the same moment).
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import Results, rule
from ..model import Confidence, Evidence, Finding, Severity, Status
from ..watch.analysis import ENDING_WORDS, verdict_text

STRONG_COUNT = 5  # from this many cuts on, "all of them with X" is more than chance


def _analysis(results: Results) -> dict[str, Any] | None:
    r = results.get("watch")
    if r is None or r.status in (Status.SKIPPED, Status.ERROR) or not isinstance(r.data.get("analysis"), dict):
        return None
    a: dict[str, Any] = r.data["analysis"]
    return a


def _endings(a: dict[str, Any]) -> str:
    return ", ".join(f"{n} {ENDING_WORDS.get(k, k)}" for k, n in (a.get("endings") or {}).items())


@rule("watch.correlations")
def correlations(results: Results) -> list[Finding]:
    a = _analysis(results)
    if a is None:
        return []
    out: list[Finding] = []
    hours = float(a.get("observed_s") or 0) / 3600
    if not a.get("cuts") and not a.get("outages"):
        return [Finding("watch.correlations", "watch-quiet", Severity.INFO, Confidence.MEDIUM,
                        "The watch caught no cut",
                        f"Over {hours:.1f} h of watching, no connection was cut and the network never went away.",
                        [Evidence("Watched", round(hours, 2), "h")])]
    for c in a.get("correlations") or []:
        ev = [Evidence("Cuts with this state", c["count"]), Evidence("Cuts in all", c["total"]),
              Evidence("How they ended", _endings(a))]
        if c.get("exposure") is not None:
            ev.append(Evidence("Share of the watched time in this state", round(100 * float(c["exposure"]), 1), "%"))
        strong = c["total"] >= STRONG_COUNT
        ask = ""
        if c["id"] == "vpn":
            ask = (f"Connections to the API are cut while {c['value']} is connected ({c['count']} of {c['total']} "
                   "cuts caught by a background watch). Please check the VPN's idle/session timeouts for the API "
                   "host, or exclude the API host from the tunnel.")
        out.append(Finding(
            "watch.correlations", f"watch-{c['id']}", Severity.WARNING,
            Confidence.MEDIUM if strong else Confidence.LOW, "The cuts go with one situation",
            c["text"][0].upper() + c["text"][1:] + ".", ev, ask_it=ask,
            failure_mode=16 if c["id"] in ("after_change", "after_wake") else 0))
    if not out:
        out.append(Finding("watch.correlations", "watch-cuts", Severity.WARNING, Confidence.LOW,
                           "The watch caught cuts",
                           f"{a['cuts']} cuts and {a['outages']} outages in {hours:.1f} h ({_endings(a) or 'no cut'}); "
                           "they did not go with any one network, VPN, wake-up or network change.",
                           [Evidence("Cuts caught", a["cuts"]), Evidence("Outages", a["outages"])]))
    return out


@rule("watch.sticky")
def sticky(results: Results) -> Finding | None:
    a = _analysis(results)
    if a is None or not a.get("rechecks"):
        return None
    counts: dict[str, int] = a["rechecks"]
    last = a.get("last_recheck") or {}
    ev = [Evidence(f"After a change: {verdict_text(k)}", n) for k, n in counts.items()]
    verdict = str(last.get("verdict") or "")
    if verdict == "sticky":
        return Finding("watch.sticky", "sticky-after-change", Severity.PROBLEM, Confidence.HIGH,
                       "After a network change, restart Claude Code",
                       "The network is fine again after the change: new connections work, but a connection "
                       "opened before it stayed dead. Clients that keep pooled connections (Claude Code, SDK "
                       "scripts) fail until they are restarted.", ev, failure_mode=16)
    if verdict == "broken":
        return Finding("watch.sticky", "broken-after-change", Severity.PROBLEM, Confidence.HIGH,
                       "The network stays broken after a change",
                       "After the last network change even new connections failed: restarting the client will "
                       "not help; the network (or VPN) itself is not working.", ev, failure_mode=11)
    if verdict.startswith("family:"):
        return Finding("watch.sticky", "family-after-change", Severity.PROBLEM, Confidence.HIGH,
                       "One address family fails after a change", verdict_text(verdict)[0].upper()
                       + verdict_text(verdict)[1:] + ". Clients without a fallback (Claude Code's runtime) fail.",
                       ev, failure_mode=13)
    return None
