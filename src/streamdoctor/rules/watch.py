"""Rules over the background watch's record: each correlation becomes a finding with its counts as evidence,
and the rechecks after network changes say whether the client needs a restart or the network is broken.

A correlation is never more than "these cuts went with that state"; the cause still comes from the idle test
and the other checks, so the confidence is medium at most, and high only for the sticky state, which the
recheck measured directly (an old connection dead, a fresh one fine, at the same moment).
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import Results, rule
from ..i18n import N_, Msg, _, ngettext
from ..i18n.joining import listed
from ..model import Confidence, Evidence, Finding, Severity, Status
from ..watch.analysis import AFTER_WINDOW_S

STRONG_COUNT = 5  # from this many cuts on, "all of them with X" is more than chance

# the watch's ending ids -> words (watch.analysis keeps its own English for the terminal)
_ENDINGS = {"reset": N_("reset (RST)"), "fin": N_("closed (FIN)"), "tls_close": N_("closed (TLS close)"),
            "drop": N_("dropped silently")}
# a recheck's verdict after a network change -> words
_VERDICTS = {
    "sticky": N_("the network was fine again, but connections opened before the change stayed dead: restart "
                 "Claude Code (or the app) after a network change"),
    "broken": N_("the network itself stayed broken: new connections failed too"),
    "fine": N_("old and new connections both worked"),
}


def _analysis(results: Results) -> dict[str, Any] | None:
    r = results.get("watch")
    if r is None or r.status in (Status.SKIPPED, Status.ERROR) or not isinstance(r.data.get("analysis"), dict):
        return None
    a: dict[str, Any] = r.data["analysis"]
    return a


def _endings(a: dict[str, Any]) -> Msg | str:
    # TRANSLATORS: a count and how those connections ended, e.g. "3 reset (RST)"
    return listed(*(_("{n} {ending}", n=n, ending=_(_ENDINGS[k]) if k in _ENDINGS else str(k))
                    for k, n in (a.get("endings") or {}).items()))


def _verdict(verdict: str) -> Msg | str:
    if verdict.startswith("family:"):
        fams = verdict.split(":", 1)[1].replace("ipv6", "IPv6").replace("ipv4", "IPv4")
        return _("new connections over {families} failed while the other address family worked", families=fams)
    return _(_VERDICTS[verdict]) if verdict in _VERDICTS else verdict


def _correlation_text(c: dict[str, Any]) -> Msg | str:
    """One whole sentence per kind of correlation, from the analysis's numbers (its own text is English)."""
    p = {"count": int(c["count"]), "total": int(c["total"]), "value": str(c.get("value", ""))}
    cid = c["id"]
    if cid == "network":
        return _("{count} of {total} cuts happened on {value}.", **p)
    if cid in ("vpn", "proxy"):
        return _("{count} of {total} cuts happened with {value}.", **p)
    if cid == "after_wake":
        return _("{count} of {total} cuts came in the {minutes:.0f} minutes after the laptop woke up (or the watch "
                 "was frozen).", minutes=AFTER_WINDOW_S / 60, **p)
    if cid == "after_change":
        return _("{count} of {total} cuts came in the {minutes:.0f} minutes after a network change.",
                 minutes=AFTER_WINDOW_S / 60, **p)
    if cid == "family":
        fam = "IPv6" if c.get("value") == "ipv6" else "IPv4"
        return ngettext("The {n} cut was over {family} (the API host has both).",
                        "All {n} cuts were over {family} (the API host has both).", int(c["total"]), family=fam)
    # a kind this rule does not know yet: the analysis's own sentence (a Msg, so it can still be said in English)
    return c.get("text") or ""


@rule("watch.correlations")
def correlations(results: Results) -> list[Finding]:
    a = _analysis(results)
    if a is None:
        return []
    out: list[Finding] = []
    hours = float(a.get("observed_s") or 0) / 3600
    if not a.get("cuts") and not a.get("outages"):
        return [Finding("watch.correlations", "watch-quiet", Severity.INFO, Confidence.MEDIUM,
                        _("The watch caught no cut"),
                        _("Over {hours:.1f} h of watching, no connection was cut and the network never went away.",
                          hours=hours),
                        [Evidence(_("Watched"), round(hours, 2), "h")])]
    for c in a.get("correlations") or []:
        ev = [Evidence(_("Cuts with this state"), c["count"]), Evidence(_("Cuts in all"), c["total"]),
              Evidence(_("How they ended"), _endings(a))]
        if c.get("exposure") is not None:
            ev.append(Evidence(_("Share of the watched time in this state"), round(100 * float(c["exposure"]), 1),
                               "%"))
        strong = c["total"] >= STRONG_COUNT
        ask: Msg | str = ""
        if c["id"] == "vpn":
            ask = _("Connections to the API are cut while {vpn} is connected ({count} of {total} cuts caught by a "
                    "background watch). Please check the VPN's idle/session timeouts for the API host, or exclude "
                    "the API host from the tunnel.", vpn=str(c["value"]), count=c["count"], total=c["total"])
        out.append(Finding(
            "watch.correlations", f"watch-{c['id']}", Severity.WARNING,
            Confidence.MEDIUM if strong else Confidence.LOW, _("The cuts go with one situation"),
            _correlation_text(c), ev, ask_it=ask,
            failure_mode=16 if c["id"] in ("after_change", "after_wake") else 0))
    if not out:
        endings = _endings(a) or _("no cut")
        out.append(Finding("watch.correlations", "watch-cuts", Severity.WARNING, Confidence.LOW,
                           _("The watch caught cuts"),
                           # TRANSLATORS: {cuts} is e.g. "3 cuts", {outages} e.g. "1 outage"
                           _("{cuts} and {outages} in {hours:.1f} h ({endings}); they did not go with any one "
                             "network, VPN, wake-up or network change.",
                             cuts=ngettext("{n} cut", "{n} cuts", int(a["cuts"])),
                             outages=ngettext("{n} outage", "{n} outages", int(a["outages"])), hours=hours,
                             endings=endings),
                           [Evidence(_("Cuts caught"), a["cuts"]), Evidence(_("Outages"), a["outages"])]))
    return out


@rule("watch.sticky")
def sticky(results: Results) -> Finding | None:
    a = _analysis(results)
    if a is None or not a.get("rechecks"):
        return None
    counts: dict[str, int] = a["rechecks"]
    last = a.get("last_recheck") or {}
    ev = [Evidence(_("After a change: {verdict}", verdict=_verdict(k)), n) for k, n in counts.items()]
    verdict = str(last.get("verdict") or "")
    if verdict == "sticky":
        return Finding("watch.sticky", "sticky-after-change", Severity.PROBLEM, Confidence.HIGH,
                       _("After a network change, restart Claude Code"),
                       _("The network is fine again after the change: new connections work, but a connection "
                         "opened before it stayed dead. Clients that keep pooled connections (Claude Code, SDK "
                         "scripts) fail until they are restarted."), ev, failure_mode=16)
    if verdict == "broken":
        return Finding("watch.sticky", "broken-after-change", Severity.PROBLEM, Confidence.HIGH,
                       _("The network stays broken after a change"),
                       _("After the last network change even new connections failed: restarting the client will "
                         "not help; the network (or VPN) itself is not working."), ev, failure_mode=11)
    if verdict.startswith("family:"):
        fams = verdict.split(":", 1)[1].replace("ipv6", "IPv6").replace("ipv4", "IPv4")
        return Finding("watch.sticky", "family-after-change", Severity.PROBLEM, Confidence.HIGH,
                       _("One address family fails after a change"),
                       _("New connections over {families} failed while the other address family worked. Clients "
                         "without a fallback (Claude Code's runtime) fail.", families=fams),
                       ev, failure_mode=13)
    return None
