"""The experiment matrix: every variable the check varied, each variant's outcome and number, in one table.

Users found the causes of "connection reset" by changing one thing at a time (IPv4 vs IPv6, a small vs a
large request, a classic vs a post-quantum TLS hello, HTTP/1.1 vs HTTP/2, direct vs the proxy, their own
client vs another). The probes measure those variants; this module only lines their results up, so the rules,
the CLI, the bundle and the wizard show the same table, and a variable "flips" when one of its variants works
and another fails on the same network. Pure functions over ProbeResult data: no network, no Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .i18n import Msg, _, ngettext
from .model import ProbeResult, Status

OK, FAIL, UNTESTED = "ok", "fail", "untested"


@dataclass
class Variant:
    """One cell: `variable` (e.g. "address family"), `variant` (e.g. "IPv6"), the outcome (ok/fail/untested),
    the number that goes with it in words ("TCP timeout after 5.0 s", "1024 KB answered in 0.3 s"), the
    probe it came from, and `seconds` when the number is a time."""

    variable: Msg | str
    variant: Msg | str
    outcome: str
    number: Msg | str
    probe: str
    seconds: float | None = None


def build(results: Iterable[ProbeResult] | Mapping[str, ProbeResult]) -> list[Variant]:
    """The matrix rows from whatever probes ran (missing or skipped probes simply add no rows)."""
    by = dict(results) if isinstance(results, Mapping) else {r.probe: r for r in results}
    rows: list[Variant] = []
    for make in (_family, _size, _clienthello, _http_version, _path, _clients):
        try:
            rows += make(by)
        except (KeyError, TypeError, ValueError):  # a result from an older schema: show the rest of the table
            continue
    return rows


def flips(rows: Iterable[Variant]) -> dict[str, tuple[list[Variant], list[Variant]]]:
    """Variables with at least one working and one failing variant: {variable: (working, failing)}."""
    groups: dict[str, list[Variant]] = {}
    for row in rows:
        groups.setdefault(row.variable, []).append(row)
    out = {}
    for variable, group in groups.items():
        good = [r for r in group if r.outcome == OK]
        bad = [r for r in group if r.outcome == FAIL]
        if good and bad:
            out[variable] = (good, bad)
    return out


def to_json(rows: Iterable[Variant]) -> list[dict[str, Any]]:
    return [dict(vars(r)) for r in rows]


def describe_family(steps: dict[str, Any]) -> Msg:
    """One line per family: what worked with its time, or which step broke, how and after how long."""
    if not steps:
        return _("not tried")
    failed = steps.get("failed_step")
    if failed:
        s = steps[failed]
        # TRANSLATORS: {step} is TCP, TLS, HTTP or STREAM; {kind} the probe's word for the failure (timeout, reset)
        return _("{step} {kind} after {secs:.1f} s", step=failed.upper(), kind=str(s.get("kind", "failed")),
                 secs=float(s.get("time_s") or 0))
    parts = [_("{step} {ms:.0f} ms", step=k.upper(), ms=float(steps[k]["time_s"]) * 1000)
             for k in ("tcp", "tls", "http", "stream") if k in steps]
    if not parts:
        return _("no step ran")
    out = parts[-1]
    for part in reversed(parts[:-1]):
        # TRANSLATORS: two steps' times in a list, e.g. "TCP 12 ms, TLS 30 ms"
        out = _("{first}, {second}", first=part, second=out)
    return out


def _data(by: Mapping[str, ProbeResult], name: str) -> dict[str, Any] | None:
    r = by.get(name)
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED) or not r.data:
        return None
    return r.data


def _family(by: Mapping[str, ProbeResult]) -> list[Variant]:
    d = _data(by, "matrix.family")
    if not d or not d.get("families"):
        return []
    rows = []
    for key, label in (("ipv4", "IPv4"), ("ipv6", "IPv6")):
        steps = d["families"].get(key) or {}
        if not steps:
            continue
        rows.append(Variant(_("address family"), f"{label} {steps.get('address', '')}".strip(),
                            OK if steps.get("ok") else FAIL, describe_family(steps), "matrix.family",
                            float(steps.get("time_s") or 0.0)))
    return rows


def _size(by: Mapping[str, ProbeResult]) -> list[Variant]:
    d = _data(by, "matrix.upload")
    if not d or "small" not in d:
        return []
    rows = []
    for a in d.get("attempts", []):
        outcome = {"passed": OK, "cut": FAIL}.get(a["outcome"], UNTESTED)
        number = (_("answered in {secs:.1f} s", secs=float(a["time_s"])) if outcome == OK else
                  _("{kind} after {secs:.1f} s", kind=str(a.get("kind")), secs=float(a["time_s"])))
        rows.append(Variant(_("request size"), _("{kb} KB", kb=a["bytes"] // 1024), outcome, number, "matrix.upload",
                            a["time_s"]))
    return rows


def _clienthello(by: Mapping[str, ProbeResult]) -> list[Variant]:
    d = _data(by, "clienthello")
    if not d or "small" not in d:
        return []
    rows = []
    for key in ("small", "large"):
        h = d[key]
        answered = h.get("outcome") in ("server_hello", "hello_retry", "alert")
        t = float(h.get("time_s") or 0.0)
        number = (_("answered in {ms:.0f} ms", ms=t * 1000) if answered else
                  _("{kind} after {secs:.1f} s", kind=str(h.get("outcome")), secs=t))
        variant = (_("classic ({size} B)", size=h.get("bytes")) if key == "small" else
                   _("post-quantum ({size} B)", size=h.get("bytes")))
        rows.append(Variant(_("TLS hello"), variant, OK if answered else FAIL, number, "clienthello", t))
    return rows


def _http_version(by: Mapping[str, ProbeResult]) -> list[Variant]:
    d = _data(by, "http")
    if not d:
        return []
    rows = []
    for key, name in (("h1", "HTTP/1.1"), ("h2", "HTTP/2")):
        r = d.get(key)
        if not r:
            continue
        label: Msg | str = name
        if key == "h2" and r.get("http_version") not in (None, "HTTP/2"):
            label = _("HTTP/2 offered ({version} spoken)", version=str(r.get("http_version")))
        t = float(r.get("time_s") or 0.0)
        ok = r.get("verdict") == "api"
        bad = r.get("verdict") == "error"
        rows.append(Variant(_("HTTP version"), label, OK if ok else FAIL if bad else UNTESTED,
                            _("HTTP {status} in {ms:.0f} ms", status=str(r.get("status")), ms=t * 1000) if not bad
                            else _("{kind} after {secs:.1f} s", kind=str(r.get("kind")), secs=t), "http", t))
    return rows


def _path(by: Mapping[str, ProbeResult]) -> list[Variant]:
    d = _data(by, "tcp")
    if not d or not d.get("via_proxy"):
        return []  # without a proxy there is one path: nothing to compare
    rows = []
    for key in ("direct", "via_proxy"):
        r = d.get(key) or {}
        t = float(r.get("time_s") or 0.0)
        label = _("direct") if key == "direct" else _("proxy {proxy}", proxy=str(d.get("proxy")))
        rows.append(Variant(_("path"), label, OK if r.get("ok") else FAIL,
                            _("connected in {ms:.0f} ms", ms=t * 1000) if r.get("ok") else
                            _("{kind} after {secs:.1f} s", kind=str(r.get("kind")), secs=t), "tcp", t))
    return rows


def _clients(by: Mapping[str, ProbeResult]) -> list[Variant]:
    """The user's own clients run as drivers (probe "matrix.clients"), next to our stack's stream."""
    d = _data(by, "matrix.clients")
    if not d:
        return []
    rows = []
    stream = _data(by, "stream")
    if stream is not None and "outcome" in stream:
        rows.append(Variant(_("client"), _("Stream Doctor (Python SDK stack)"),
                            OK if stream["outcome"] == "completed" else FAIL, str(stream["outcome"]), "stream"))
    for c in d.get("clients", []):
        if c.get("outcome") in ("not-installed", "not-run"):
            continue
        t = float(c.get("time_s") or 0.0)
        number = (ngettext("answered in {secs:.1f} s ({n} event)", "answered in {secs:.1f} s ({n} events)",
                           int(c.get("events") or 0), secs=t) if c.get("outcome") == "ok" else
                  _("exit {code} after {secs:.1f} s: {error}", code=str(c.get("exit_code")), secs=t,
                    error=str(c.get("error", ""))[:80]))
        rows.append(Variant(_("client"), f"{c.get('name')} {c.get('version') or ''}".strip(),
                            OK if c.get("outcome") == "ok" else FAIL, number, "matrix.clients", t))
    return rows
