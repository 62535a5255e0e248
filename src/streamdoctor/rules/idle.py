"""Rules over the idle test: after how long silent connections die, how, where that most likely happens, and
whether keepalive or a client setting can help.

Where: a reset or a silent drop comes from a box that tracks TCP flows (NAT, firewall, VPN); a FIN or a TLS
close comes from a box that terminates TCP (a proxy, often a TLS-inspecting one); a FIN after ~400 s is the
API's own edge and normal. TCP keepalive only helps against the first kind, and only if it fires before the
cut: the Python SDK's first keepalive probe goes out after 60 s of silence.
"""

from __future__ import annotations

from typing import Any

from .. import claude_versions as cv
from ..claude_advice import from_clients, setting_effect
from ..diagnosis import DEFAULT_API_PORT, Results, rule
from ..i18n import N_, Msg, _
from ..i18n.joining import joined, listed
from ..model import Confidence, Evidence, Finding, Severity, Status
from ..probes.idle import is_api_edge
from ..probes.rawtls import DROP, FIN, RESET, TLS_CLOSE

API_EDGE_IDLE_S = 400.0  # the API closes idle pooled connections after about this long, with a FIN
SDK_KEEPALIVE_S = 60.0  # anthropic SDK: TCP_KEEPIDLE 60 s on its default transport
CLAUDE_CODE_WATCHDOGS = ("CLAUDE_STREAM_IDLE_TIMEOUT_MS", "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS",
                         "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS", "API_TIMEOUT_MS")


def idle_data(results: Results) -> dict[str, Any] | None:
    r = results.get("idle")
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED, Status.ERROR) or not r.data:
        return None
    return r.data


def idle_cut(results: Results) -> float | None:
    """The measured cut below the API edge, for other rules (stream) that defer to it."""
    d = idle_data(results)
    if d is None or d.get("cut_s") is None or is_api_edge(d):
        return None
    return float(d["cut_s"])


def num(x: float) -> float | int:
    """3.0 -> 3, 2.89 -> 2.9, 31.4 -> 31: the precision a person reads, never a false one. A number, so a
    sentence's placeholder writes it the language's way (2,9 in German)."""
    if x >= 10:
        return round(x)
    shown = round(x, 1)
    return int(shown) if shown == int(shown) else shown


def _agents(results: Results) -> list[dict[str, Any]]:
    r = results.get("env.vpn")
    agents = r.data.get("agents") if r is not None and isinstance(r.data, dict) else None
    return [a for a in agents if isinstance(a, dict)] if isinstance(agents, list) else []


def _claude_code_env(results: Results) -> dict[str, str]:
    r = results.get("env.clients")
    cc = r.data.get("claude_code") if r is not None and isinstance(r.data, dict) else None
    if not isinstance(cc, dict) or not cc.get("installed"):
        return {}
    env = cc.get("env")
    return {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {}


def _where(d: dict[str, Any], results: Results) -> Msg:
    """Who most likely cuts, and why we think so, from the ending and the environment scan: one sentence."""
    ending = d.get("ending")
    agents = _agents(results)
    vpns = [str(a.get("name", "")) for a in agents if a.get("kind") == "vpn"]
    inspectors = [str(a.get("name", "")) for a in agents if a.get("kind") == "tls-inspection"]
    proxy = d.get("proxy")
    if ending in (FIN, TLS_CLOSE):
        if inspectors:
            return _("Most likely the TLS-inspecting proxy ({names}): it closes the connection politely.",
                     names=listed(*inspectors))
        if proxy:
            return _("Most likely the proxy ({proxy}): the connection goes through it and it closes politely.",
                     proxy=str(proxy))
        return _("Most likely a proxy or gateway on the way: the connection is closed politely (FIN), as proxies do.")
    if vpns:
        return _("Most likely the VPN ({names}) or a firewall behind it: it forgets silent flows.",
                 names=listed(*vpns))
    if ending == RESET:
        return _("Most likely a firewall or NAT router: it forgets silent connections and answers the next packet "
                 "with a reset.")
    return _("Most likely a firewall: it forgets silent connections and then drops their packets without a word.")


def _keepalive_sentence(d: dict[str, Any], cut: float) -> Msg:
    ending = d.get("ending")
    if ending in (FIN, TLS_CLOSE):
        return _("TCP keepalive will not help: the box that closes the connection terminates TCP itself, and only "
                 "data (such as the API's SSE pings during a stream) resets its timer.")
    if cut > SDK_KEEPALIVE_S + 5:
        return _("The Python SDK's keepalive (first probe after {keepalive:.0f} s of silence) keeps its connections "
                 "alive through this box; other clients need keepalive below {cut} s too.",
                 keepalive=SDK_KEEPALIVE_S, cut=num(cut))
    return _("TCP keepalive helps only if it fires before {cut} s of silence; the Python SDK's starts after "
             "{keepalive:.0f} s, too late for this network.", cut=num(cut), keepalive=SDK_KEEPALIVE_S)


def _client_sentence(d: dict[str, Any], cut: float, results: Results) -> Msg | None:
    env = _claude_code_env(results)
    r = results.get("env.clients")
    cc = from_clients(r.data if r is not None and isinstance(r.data, dict) else None)
    limits = []
    for name in CLAUDE_CODE_WATCHDOGS:
        try:
            ms = float(env[name])
        except (KeyError, ValueError):
            continue
        if cc is not None and cc.version is not None:  # unknown version: quote the setting as written
            effect, _why = setting_effect(cc, name, int(ms))
            if effect is False:
                continue  # a variable this version ignores (or a first-party-only watchdog) limits nothing
            ms = float(cv.effective_ms(name, cc.version, int(ms))[0])  # floors and clamps as the version applies
        limits.append((name, ms / 1000))
    if d.get("ending") == DROP:
        if limits:
            # TRANSLATORS: one Claude Code setting and the seconds it allows, e.g. API_TIMEOUT_MS=600 s
            shown = listed(*(_("{name}={secs} s", name=n, secs=num(s)) for n, s in limits))
            return _("Until a client gives up it just hangs (Claude Code here: {limits}).", limits=shown)
        return _("Clients then hang until their own timeout gives up (the SDK waits up to 600 s).")
    short = [(n, s) for n, s in limits if s < cut]
    if short:
        n, s = short[0]
        return _("Claude Code's {name} ({secs} s) is shorter than the cut, so it reports a timeout first.",
                 name=n, secs=num(s))
    return None


def _stream_evidence(results: Results) -> list[Evidence]:
    r = results.get("stream")
    if r is None or not r.data or r.data.get("outcome") not in ("reset", "closed", "stalled"):
        return []
    d = r.data
    return [Evidence(_("A real streamed answer also ended"), d["outcome"], "",
                     _("after {silence:.1f} s of silence, {total:.1f} s in",
                       silence=float(d.get("silence_before_end_s", 0)), total=float(d.get("total_s", 0))))]


# how the idle probe saw the connections end -> the words shown as evidence
_ENDINGS = {RESET: N_("TCP reset (RST)"), FIN: N_("closed (FIN)"), TLS_CLOSE: N_("TLS close_notify"),
            DROP: N_("silently dropped (no answer)")}


def _evidence(d: dict[str, Any]) -> list[Evidence]:
    lo, hi = (list(d.get("bracket") or []) + [None, None])[:2]
    ending = _ENDINGS.get(d.get("ending") or "")
    ev = [Evidence(_("Silence after which connections die"), float(d["cut_s"]), "s"),
          Evidence(_("How they end"), _(ending) if ending else "?")]
    if lo is not None:
        ev.append(Evidence(_("Longest silence survived"), float(lo), "s"))
    if hi is not None:
        ev.append(Evidence(_("Shortest silence found fatal"), float(hi), "s"))
    tested = [c for c in d.get("connections", []) if c.get("state") != "error"]
    # the raw lines stay as the probe recorded them (states are the probe's own words): IT reads them as data
    ev.append(Evidence(_("Connections tested"), len(tested), "",
                       "\n".join(f"held {c['hold_s']} s -> {c['state']} (silent {c.get('idle_s')} s)"
                                 for c in tested[:60])))
    if d.get("proxy"):
        ev.append(Evidence(_("Through proxy"), d["proxy"]))
    return ev


def _idle_first_sentence(ending: str | None, cut: float, unc: float) -> Msg:
    """How silent connections die, one whole sentence per ending."""
    p = {"cut": num(cut), "unc": num(unc), "edge": API_EDGE_IDLE_S}
    if ending == RESET:
        return _("Your network cuts silent connections after {cut} s (±{unc} s) with a reset; the API itself allows "
                 "about {edge:.0f} s.", **p)
    if ending == FIN:
        return _("Your network cuts silent connections after {cut} s (±{unc} s) by closing them (FIN); the API "
                 "itself allows about {edge:.0f} s.", **p)
    if ending == TLS_CLOSE:
        return _("Your network cuts silent connections after {cut} s (±{unc} s) by closing them (TLS close); the API "
                 "itself allows about {edge:.0f} s.", **p)
    if ending == DROP:
        return _("Your network cuts silent connections after {cut} s (±{unc} s) by dropping them without a word; "
                 "the API itself allows about {edge:.0f} s.", **p)
    return _("Your network cuts silent connections after {cut} s (±{unc} s); the API itself allows about "
             "{edge:.0f} s.", **p)


def _idle_ask(ending: str | None, cut: float) -> Msg:
    """The request to IT, one whole text per ending: a proxy's timeout for a polite close, else the firewall's."""
    c = num(cut)
    if ending == FIN:
        return _("Connections from this laptop to the Anthropic API ({api_port}) are cut after {cut} s "
                 "without data (closing them (FIN)). Please raise the idle timeout for this host to at least 600 s "
                 "on the proxy (or exempt the host from TLS inspection).", cut=c, api_port=DEFAULT_API_PORT)
    if ending == TLS_CLOSE:
        return _("Connections from this laptop to the Anthropic API ({api_port}) are cut after {cut} s "
                 "without data (closing them (TLS close)). Please raise the idle timeout for this host to at least "
                 "600 s on the proxy (or exempt the host from TLS inspection).", cut=c, api_port=DEFAULT_API_PORT)
    if ending == RESET:
        return _("Connections from this laptop to the Anthropic API ({api_port}) are cut after {cut} s "
                 "without data (reset). Please raise the idle timeout for this host to at least 600 s on the "
                 "firewall/NAT/VPN that tracks the connection.", cut=c, api_port=DEFAULT_API_PORT)
    if ending == DROP:
        return _("Connections from this laptop to the Anthropic API ({api_port}) are cut after {cut} s "
                 "without data (dropping them without a word). Please raise the idle timeout for this host to at "
                 "least 600 s on the firewall/NAT/VPN that tracks the connection.", cut=c, api_port=DEFAULT_API_PORT)
    return _("Connections from this laptop to the Anthropic API ({api_port}) are cut after {cut} s "
             "without data. Please raise the idle timeout for this host to at least 600 s on the firewall/NAT/VPN "
             "that tracks the connection.", cut=c, api_port=DEFAULT_API_PORT)


@rule("idle.cut")
def idle_cut_rule(results: Results) -> Finding | None:
    d = idle_data(results)
    if d is None or d.get("cut_s") is None:
        return None
    cut = float(d["cut_s"])
    unc = max(float(d.get("uncertainty_s") or 0.0), 0.1)
    ending = d.get("ending")
    evidence = _evidence(d) + _stream_evidence(results)
    if is_api_edge(d):
        return Finding(
            "idle.cut", "idle-api-edge", Severity.INFO, Confidence.MEDIUM,
            _("The API closes idle connections after about 400 s (normal)"),
            _("Silent connections were closed politely after {cut} s: that is the API's own limit for idle "
              "connections, not your network. Clients open a fresh connection and carry on.", cut=num(cut)),
            evidence, [], failure_mode=10,
        )
    plain = joined(_idle_first_sentence(ending, cut, unc), _where(d, results), _keepalive_sentence(d, cut),
                   _client_sentence(d, cut, results))
    fixes = ["sdk-snippet"]
    if ending == DROP:
        fixes.append("claude-code-timeouts")
    if ending in (FIN, TLS_CLOSE):
        cause, title, mode = "idle-close", _("Silent connections are closed"), 2
    elif ending == DROP:
        cause, title, mode = "idle-drop", _("Silent connections are dropped"), 1
    else:
        cause, title, mode = "idle-reset", _("Silent connections are reset"), 1
    return Finding("idle.cut", cause, Severity.PROBLEM, Confidence.HIGH, title, plain, evidence, fixes,
                   ask_it=_idle_ask(ending, cut), failure_mode=mode)


@rule("idle.inflight")
def idle_inflight(results: Results) -> Finding | None:
    """No idle cut, but a request whose answer stays silent is ended early: a gateway's read timeout."""
    d = idle_data(results)
    if d is None or d.get("cut_s") is not None:
        return None
    inf = d.get("inflight") or {}
    if not inf.get("early") or inf.get("idle_s") is None:
        return None
    after = float(inf["idle_s"])
    status = inf.get("http_status")
    state = inf.get("state")
    p = {"after": num(after), "status": status}
    if state == "alive" and status and int(status) >= 500:
        how = _("answers HTTP {status}", status=status)
        plain = _("While Claude thinks, the answer is silent; a gateway on the way answers HTTP {status} after "
                  "{after} s of waiting.", **p)
    elif state == "reset":
        how = _("resets the connection")
        plain = _("While Claude thinks, the answer is silent; a gateway on the way resets the connection after "
                  "{after} s of waiting.", **p)
    elif state in ("closed", "tls_close"):
        how = _("closes the connection")
        plain = _("While Claude thinks, the answer is silent; a gateway on the way closes the connection after "
                  "{after} s of waiting.", **p)
    else:
        return None
    return Finding(
        "idle.inflight", "proxy-read-timeout", Severity.PROBLEM, Confidence.HIGH,
        _("A gateway gives up on answers that take long"),
        joined(plain, _("Idle connections are not cut, so it is a read timeout of a reverse proxy (nginx "
                        "proxy_read_timeout defaults to 60 s), not a firewall.")),
        [Evidence(_("Silent request ended after"), after, "s"), Evidence(_("How it ended"), how)],
        ["nginx-streaming"],
        ask_it=_("The reverse proxy in front of the Anthropic API ends requests after {after} s without an upstream "
                 "byte. For nginx: proxy_read_timeout 600s; proxy_buffering off.", after=num(after)),
        failure_mode=3,
    )
