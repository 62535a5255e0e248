"""What the bundle tells IT, distilled from a (redacted) report: the changes to make on the network with the
measured numbers, the environment, and the fixes applied on this laptop.

Everything reads probe data defensively: a probe that did not run (or an older report) simply leaves its line
out, it never breaks the bundle.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..i18n import N_, _
from ..model import Finding, Report, Severity, to_jsonable

log = logging.getLogger(__name__)

RECOMMENDED_IDLE_S = 600  # the SDKs' and Claude Code's default request timeout: a stream may be silent that long
IDLE_CAUSES = ("idle-reset", "idle-close", "idle-drop", "silent-stall", "proxy-read-timeout")
# how a connection ended -> in words (translated where shown: the language is chosen after import)
ENDING_WORDS = {"reset": N_("a TCP reset (RST)"), "fin": N_("a polite close (FIN)"),
                "closed": N_("a polite close (FIN)"), "tls_close": N_("a TLS close"),
                "drop": N_("a silent drop (no reset, no close)"), "dropped": N_("a silent drop (no reset, no close)"),
                "stalled": N_("a silent drop (no reset, no close)")}


def ending_words(ending: str) -> str:
    """How a connection ended, in the current language ("" and unknown endings say so)."""
    if ending in ENDING_WORDS:
        return _(ENDING_WORDS[ending])
    return ending or _("an unknown ending")


@dataclass
class NetworkChange:
    """One change to ask IT for: what to change, on which host/port, and the measurement behind it."""

    kind: str  # idle-timeout | tls-exemption | mtu | finding
    title: str
    detail: str
    source: str = ""  # the finding's rule, or the probe it came from


def api_endpoint(report: Report) -> tuple[str, int]:
    url = str(report.target.get("base_url", "") or "https://api.anthropic.com")
    url = re.sub(r"^([a-z]+://)[^/]*@", r"\1", url)  # credentials (redacted or not) are not part of the host
    try:
        parts = urlsplit(url)
        return parts.hostname or url, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return url, 443


def _data(report: Report, probe: str) -> dict[str, Any]:
    r = report.result(probe)
    return r.data if r is not None and isinstance(r.data, dict) else {}


def serious_findings(report: Report) -> list[Finding]:
    return [f for f in report.verdict.findings if f.severity is not Severity.INFO]


def measured_idle_cut(report: Report) -> tuple[float | None, str]:
    """(seconds of silence after which connections die, how they end) from the idle test, else the stream."""
    idle = _data(report, "idle")
    if isinstance(idle.get("cut_s"), int | float):
        return float(idle["cut_s"]), str(idle.get("ending") or "")
    if any(f.cause in IDLE_CAUSES for f in report.verdict.findings):
        stream = _data(report, "stream")
        silence = stream.get("silence_before_end_s")
        if isinstance(silence, int | float) and silence > 0:
            return float(silence), str(stream.get("outcome") or "")
    return None, ""


def network_changes(report: Report) -> list[NetworkChange]:
    """The 'What to change on the network' list: each finding's request to IT, then the measured facts that no
    finding covered yet (TLS inspection, idle timeout, MTU)."""
    host, port = api_endpoint(report)
    changes: list[NetworkChange] = []
    seen: set[str] = set()
    modes = {f.failure_mode for f in serious_findings(report)}
    for f in serious_findings(report):
        if f.ask_it and f.ask_it not in seen:
            seen.add(f.ask_it)
            changes.append(NetworkChange("finding", f.title, f.ask_it, f.rule))

    cut, ending = measured_idle_cut(report)
    if cut is not None and not modes & {1, 2}:
        changes.append(NetworkChange(
            "idle-timeout", _("Raise the idle timeout for {host}:{port}", host=host, port=str(port)),
            _("Connections to {host}:{port} that are silent for about {secs:.0f} s are ended by {how}. Please raise "
              "the idle/read timeout on the firewall, NAT, VPN or proxy for this host to at least {least} s.",
              host=host, port=str(port), secs=cut, how=ending_words(ending), least=RECOMMENDED_IDLE_S), "idle"))

    tls = _data(report, "tls")
    if tls.get("inspected") and 5 not in modes:
        who = tls.get("inspector") or _("a TLS-inspecting proxy")
        changes.append(NetworkChange(
            "tls-exemption", _("Exempt {host}:{port} from TLS inspection", host=host, port=str(port)),
            _("Connections to {host} are decrypted by {who} (certificate issuer: {issuer}). Please exempt "
              "{host}:{port} (TCP) from TLS inspection, or at least from its idle and buffering limits.",
              host=host, port=str(port), who=who, issuer=tls.get("issuer") or _("unknown")), "tls"))

    mtu = _data(report, "mtu")
    path_mtu, if_mtu = mtu.get("path_mtu"), mtu.get("interface_mtu")
    smaller = isinstance(path_mtu, int) and isinstance(if_mtu, int) and path_mtu < if_mtu
    if (mtu.get("black_hole") or smaller) and 4 not in modes:
        changes.append(NetworkChange(
            "mtu", _("Fix the path MTU towards {host}", host=host),
            _("The largest packet that gets through to {host} is {path_mtu} bytes, but the interface {interface} "
              "sends {if_mtu}. Please let ICMP 'fragmentation needed' (IPv4 type 3 code 4, ICMPv6 type 2) through, "
              "or clamp TCP MSS on the VPN/tunnel to match an MTU of {path_mtu}.", host=host,
              path_mtu=str(path_mtu), interface=mtu.get("interface") or "", if_mtu=str(if_mtu)), "mtu"))
    return changes


def network_facts(report: Report) -> list[tuple[str, str]]:
    """The numbers a network engineer asks for first, as label/value rows."""
    host, port = api_endpoint(report)
    rows: list[tuple[str, str]] = [(_("API host and port"), _("{host}:{port} (TCP)", host=host, port=str(port)))]
    cut, ending = measured_idle_cut(report)
    if cut is not None:
        rows.append((_("Idle time after which connections are cut"), _("{secs:.1f} s", secs=cut)))
        rows.append((_("How they are cut"), ending_words(ending) if ending else _("unknown")))
    idle = _data(report, "idle")
    if idle.get("longest_alive_s"):
        rows.append((_("Longest silence a connection survived"),
                     _("{secs:.2f} s", secs=float(idle["longest_alive_s"]))))
    stream = _data(report, "stream")
    if stream.get("outcome"):
        rows.append((_("How the test answer ended"), str(stream["outcome"])))
    if isinstance(stream.get("time_to_first_byte_s"), int | float):
        rows.append((_("Time to first byte"), _("{secs:.2f} s", secs=float(stream["time_to_first_byte_s"]))))
    tls = _data(report, "tls")
    if "inspected" in tls:
        rows.append((_("TLS inspection"), _("yes, by {who}", who=tls.get("inspector") or _("unknown"))
                     if tls["inspected"] else _("no")))
    mtu = _data(report, "mtu")
    if mtu.get("path_mtu") or mtu.get("interface_mtu"):
        interface = mtu.get("interface") or _("interface unknown")
        rows.append((_("Path MTU / interface MTU"), f"{mtu.get('path_mtu') or '?'} / {mtu.get('interface_mtu') or '?'}"
                     f" ({interface})"))
    proxy = _data(report, "env.proxy")
    system = proxy.get("system") if isinstance(proxy.get("system"), dict) else {}
    if system:
        rows.append((_("System proxy"), str(system.get("proxy") or system.get("pac_url") or _("none"))))
    vpn = _data(report, "env.vpn")
    if vpn.get("tunnel_interface") or vpn.get("api_via_tunnel") is not None:
        answer = _("yes") if vpn.get("api_via_tunnel") else _("no")
        tunnel = vpn.get("tunnel_interface")
        rows.append((_("API traffic through a VPN tunnel"), f"{answer} ({tunnel})" if tunnel else answer))
    return rows


def environment(report: Report) -> list[tuple[str, str]]:
    """A short description of the laptop's network setup, from the environment probes."""
    rows: list[tuple[str, str]] = []
    target = str(report.target.get("base_url", ""))
    if report.target.get("lab_profile"):
        target = _("{url} (simulated lab, profile {lab})", url=target, lab=report.target["lab_profile"])
    rows.append((_("Tested endpoint"), target))
    ifaces = _data(report, "env.interfaces")
    route = ifaces.get("route") if isinstance(ifaces.get("route"), dict) else {}
    if route:
        rows.append((_("Route to the API"), _("interface {interface}, MTU {mtu}, gateway {gateway}",
                                               interface=route.get("interface") or "?",
                                               mtu=str(route.get("mtu") or "?"), gateway=route.get("gateway") or "?")))
    vpn = _data(report, "env.vpn")
    agents = [a for a in vpn.get("agents", []) if isinstance(a, dict)]
    if agents or "agents" in vpn:
        rows.append((_("VPN and security software"), ", ".join(
            f"{a.get('name', '?')} ({a.get('kind', '?')})" for a in agents) or _("none found")))
    proxy = _data(report, "env.proxy")
    clients = proxy.get("clients")
    none = _("none")
    for client, info in clients.items() if isinstance(clients, dict) else ():
        if isinstance(info, dict):
            rows.append((_("Proxy used by {client}", client=client),
                         f"{info.get('proxy') or none} ({info.get('source') or '?'})"))
    cl = _data(report, "env.clients")
    cc = cl.get("claude_code") if isinstance(cl.get("claude_code"), dict) else {}
    if cc:
        rows.append(("Claude Code", str(cc.get("version") or (_("installed") if cc.get("installed")
                                                               else _("not found")))))
    for sdk in cl.get("python_sdks", []) if isinstance(cl.get("python_sdks"), list) else []:
        if isinstance(sdk, dict):
            version = str(sdk.get("version", "?"))
            rows.append((_("anthropic SDK in {python}", python=sdk.get("python", "?")),
                         _("{version} (known problem: {problem})", version=version, problem=sdk["known_bad"])
                         if sdk.get("known_bad") else version))
    dns = _data(report, "dns")
    if dns.get("addresses"):
        rows.append((_("API addresses (DNS)"), ", ".join(str(a) for a in dns["addresses"][:6])))
    return rows


def applied_fixes() -> list[dict[str, Any]] | None:
    """The fix journal's records (what was changed on this laptop and whether it is undone), or None when the
    journal is not available in this build. Read at bundle time: it describes this laptop now."""
    try:
        from ..fixes import journal
    except ImportError:
        return None
    try:
        records = journal.list_records()
    except Exception as exc:  # a broken journal must not stop the bundle; say "unavailable" instead
        log.warning("fix journal unreadable for the bundle: %s", type(exc).__name__)
        return None
    out: list[dict[str, Any]] = []
    for rec in records:
        d = to_jsonable(rec) if dataclasses.is_dataclass(rec) else dict(rec)
        out.append(d)
    return out


# a fix record's state -> in words (translated where shown)
UNDO_STATE = {"applied": N_("applied; can be undone in Stream Doctor"), "reverted": N_("undone"),
              "rolled-back": N_("rolled back after an interruption"), "pending": N_("interrupted; will be rolled back"),
              "failed": N_("failed; nothing left changed")}


def describe_fix(rec: dict[str, Any]) -> tuple[str, str, str]:
    """(title, state in words, what it touched) for one journal record."""
    title = str(rec.get("title") or rec.get("fix_id") or rec.get("id") or _("fix"))
    state = str(rec.get("state") or "")
    steps = rec.get("steps")
    touched = ", ".join(
        str(s.get("path") or s.get("target") or s.get("kind"))
        for s in (steps if isinstance(steps, list) else []) if isinstance(s, dict)
    )
    words = _(UNDO_STATE[state]) if state in UNDO_STATE else state or _("unknown")
    return title, words, touched
