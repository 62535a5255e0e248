"""What the watch's record says: which state the cuts go with, counted, and what happened after changes.

A correlation is only claimed with its counts and against the time each state was actually observed ("12 of
12 cuts happened while GlobalProtect was connected; none on Wi-Fi Home, watched 9 h"), because a watch that
ran mostly in the office will see most cuts there by chance alone. Pure functions over the stored events and
states, so they are tested on made-up records and reused by the CLI, the rules and the GUI.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..i18n import N_, _, ngettext
from .state import network_label, vpn_label

AFTER_WINDOW_S = 120.0  # "cuts cluster in the 2 minutes after wake / after a change"
MIN_CUTS = 2  # one cut correlates with everything it happened next to
ALL_BUT_SHARE = 0.75  # "most cuts": at least this share of them ...
OVER_EXPOSURE = 2.0  # ... and this many times the share of time the state was observed
MIN_EXPOSURE_NONE = 0.1  # "none on X" is said only of a state watched for at least this share of the time
# how a cut ended -> in words (translated where shown with ending_text: the language is chosen after import)
ENDING_WORDS = {"reset": N_("reset (RST)"), "fin": N_("closed (FIN)"), "tls_close": N_("closed (TLS close)"),
                "drop": N_("dropped silently")}
STATE_ATTRS = {"vpn": vpn_label, "network": network_label,
               "proxy": lambda s: _("proxy {proxy}", proxy=s["proxy"]) if s.get("proxy") else _("no proxy")}
VERDICT_WORDS = {
    "sticky": N_("the network was fine again, but connections opened before the change stayed dead: restart "
                 "Claude Code (or the app) after a network change"),
    "broken": N_("the network itself stayed broken: new connections failed too"),
    "fine": N_("old and new connections both worked"),
}


def ending_text(ending: str) -> str:
    """How a cut ended, in the current language (an unknown ending is shown as recorded)."""
    return _(ENDING_WORDS[ending]) if ending in ENDING_WORDS else ending


def _segments(events: list[dict[str, Any]]) -> list[tuple[float, float, int | None]]:
    """(start, end, state_id) for every observed stretch; time between a stop and the next start is unseen."""
    out: list[tuple[float, float, int | None]] = []
    ordered = sorted(events, key=lambda e: (e["t"], e["id"]))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a["kind"] == "stop" or b["kind"] == "start":
            continue
        out.append((a["t"], b["t"], a.get("state_id")))
    return out


def _windows_after(events: list[dict[str, Any]], kind: str, segments: list[tuple[float, float, int | None]]
                   ) -> tuple[list[tuple[float, float]], float]:
    starts = sorted(e["t"] for e in events if e["kind"] == kind)
    windows = [(t, t + AFTER_WINDOW_S) for t in starts]
    covered = 0.0
    for s0, s1, _sid in segments:  # observed time inside any window (windows may overlap: merge per segment)
        cursor: float = s0
        for w0, w1 in windows:
            lo, hi = max(cursor, w0, s0), min(w1, s1)
            if hi > lo:
                covered += hi - lo
                cursor = hi
    return windows, covered


def _fmt_duration(s: float) -> str:
    if s >= 3600:
        return _("{hours:.1f} h", hours=s / 3600)
    if s >= 60:
        return _("{minutes:.0f} min", minutes=s / 60)
    return _("{secs:.0f} s", secs=s)


def analyse(events: list[dict[str, Any]], states: dict[int, dict[str, Any]]) -> dict[str, Any]:
    cuts = [e for e in events if e["kind"] == "cut"]
    segments = _segments(events)
    observed = sum(b - a for a, b, _ in segments)
    out: dict[str, Any] = {
        "cuts": len(cuts), "outages": sum(1 for e in events if e["kind"] == "outage"),
        "wakes": sum(1 for e in events if e["kind"] == "wake"),
        "streams_failed": sum(1 for e in events if e["kind"] == "stream"),
        "changes": sum(1 for e in events if e["kind"] == "change"), "observed_s": round(observed, 1),
        "endings": dict(Counter(e.get("ending") or "unknown" for e in cuts)),
        "families": dict(Counter(e.get("family") or "unknown" for e in cuts)),
        "correlations": [], "rechecks": {},
    }
    # A connection opened before a network change and dead after it was killed by the change itself (its
    # address or route is gone): counted apart, so it does not make the new network look guilty.
    casualties = [e for e in cuts if e.get("opened_before_change")]
    out["change_casualties"] = len(casualties)
    state_cuts = [e for e in cuts if not e.get("opened_before_change")]
    if len(state_cuts) >= MIN_CUTS and observed > 0:
        for attr, label_of in STATE_ATTRS.items():
            exposure: dict[str, float] = {}
            for a, b, sid in segments:
                key = label_of(states.get(sid or -1, {}))
                exposure[key] = exposure.get(key, 0.0) + b - a
            with_value = Counter(label_of(states.get(e.get("state_id") or -1, {})) for e in state_cuts)
            for value, n in with_value.most_common(1):
                share_t = exposure.get(value, 0.0) / observed
                if n / len(state_cuts) >= ALL_BUT_SHARE and n / len(state_cuts) >= OVER_EXPOSURE * share_t or (
                        n == len(state_cuts) and share_t < 0.9):
                    nones = [_("none on {value} (watched {duration})", value=v, duration=_fmt_duration(t))
                             if attr == "network" else
                             _("none with {value} (watched {duration})", value=v, duration=_fmt_duration(t))
                             for v, t in sorted(exposure.items(), key=lambda kv: -kv[1])
                             if v not in with_value and t / observed >= MIN_EXPOSURE_NONE]
                    params = {"count": n, "value": value, "exposure": _fmt_duration(exposure.get(value, 0.0)),
                              "observed": _fmt_duration(observed)}
                    if attr == "network":
                        main = ngettext("{count} of {n} cut happened on {value} ({exposure} of {observed} watched)",
                                        "{count} of {n} cuts happened on {value} ({exposure} of {observed} watched)",
                                        len(state_cuts), **params)
                    else:
                        main = ngettext("{count} of {n} cut happened with {value} ({exposure} of {observed} "
                                        "watched)",
                                        "{count} of {n} cuts happened with {value} ({exposure} of {observed} "
                                        "watched)", len(state_cuts), **params)
                    text = "; ".join([main, *nones])  # independent clauses, each whole
                    out["correlations"].append({"id": attr, "value": value, "count": n,
                                                "total": len(state_cuts), "exposure": round(share_t, 3),
                                                "text": text})
    if len(cuts) >= MIN_CUTS and observed > 0:
        for kind in ("wake", "change"):
            windows, covered = _windows_after(events, kind, segments)
            k = sum(1 for e in cuts if any(w0 <= e["t"] <= w1 for w0, w1 in windows))
            share_t = covered / observed
            if k >= MIN_CUTS and k / len(cuts) >= 0.5 and k / len(cuts) >= OVER_EXPOSURE * share_t:
                out["correlations"].append({
                    "id": f"after_{kind}", "value": kind, "count": k, "total": len(cuts), "exposure": round(share_t, 3),
                    "text": _after_text(kind, k, len(cuts), share_t)})
        fams = out["families"]
        if len(fams) == 1 and next(iter(fams)) in ("ipv4", "ipv6"):
            only = next(iter(fams))
            seen_other = any(len(states.get(e.get("state_id") or -1, {}).get("families") or []) > 1 for e in cuts)
            if seen_other:
                out["correlations"].append({
                    "id": "family", "value": only, "count": len(cuts), "total": len(cuts), "exposure": None,
                    "text": _("all {n} cuts were over {family} (the API host has both)", n=len(cuts),
                              family="IPv6" if only == "ipv6" else "IPv4")})
    rechecks = [e for e in events if e["kind"] == "recheck"]
    verdicts = Counter(str(e.get("verdict") or "") for e in rechecks)
    out["rechecks"] = dict(verdicts)
    if rechecks:
        last = rechecks[-1]
        out["last_recheck"] = {"t": last["t"], "verdict": last.get("verdict"), "reason": last.get("reason"),
                               "text": verdict_text(str(last.get("verdict") or ""))}
    return out


def _after_text(kind: str, k: int, total: int, share_t: float) -> str:
    params = {"count": k, "minutes": AFTER_WINDOW_S / 60, "share": share_t * 100}
    if kind == "wake":
        return ngettext("{count} of {n} cut came in the {minutes:.0f} minutes after the laptop woke up (or the watch "
                        "was frozen) ({share:.0f} % of the watched time)",
                        "{count} of {n} cuts came in the {minutes:.0f} minutes after the laptop woke up (or the "
                        "watch was frozen) ({share:.0f} % of the watched time)", total, **params)
    return ngettext("{count} of {n} cut came in the {minutes:.0f} minutes after a network change ({share:.0f} % of "
                    "the watched time)",
                    "{count} of {n} cuts came in the {minutes:.0f} minutes after a network change ({share:.0f} % of "
                    "the watched time)", total, **params)


def verdict_text(verdict: str) -> str:
    if verdict.startswith("family:"):
        fams = verdict.split(":", 1)[1].replace("ipv6", "IPv6").replace("ipv4", "IPv4")
        return _("new connections over {family} failed while the other address family worked", family=fams)
    return _(VERDICT_WORDS[verdict]) if verdict in VERDICT_WORDS else verdict


def summary_lines(a: dict[str, Any]) -> list[str]:
    """The analysis in a few lines for the terminal and the tray's tooltip, in the current language."""
    lines: list[str] = [_("cuts: {cuts}, outages: {outages}, network changes: {changes}, wake-ups: {wakes}; watched "
                          "{duration}", cuts=a["cuts"], outages=a["outages"], changes=a["changes"], wakes=a["wakes"],
                          duration=_fmt_duration(a["observed_s"]))]
    if a.get("streams_failed"):
        lines.append(ngettext("{n} of the occasional test streams failed", "{n} of the occasional test streams failed",
                              a["streams_failed"]))
    if a["endings"]:
        endings = ", ".join(_("{n} {ending}", n=n, ending=ending_text(k)) for k, n in a["endings"].items())
        lines.append(_("endings: {endings}", endings=endings))
    lines += [c["text"] for c in a["correlations"]]
    if a.get("change_casualties"):
        lines.append(ngettext("{n} of the cuts was a connection opened before a network change (the change ended it)",
                              "{n} of the cuts were connections opened before a network change (the change ended "
                              "them)", a["change_casualties"]))
    for verdict, n in a["rechecks"].items():
        lines.append(ngettext("after {n} change or wake: {verdict}", "after {n} changes or wakes: {verdict}", n,
                              verdict=verdict_text(verdict)))
    return lines
