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
from ..diagnosis import Results, rule
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


def num(x: float) -> str:
    """3.0 -> '3', 2.89 -> '2.9', 31.4 -> '31': the precision a person reads, never a false one."""
    if x >= 10:
        return f"{x:.0f}"
    shown = f"{x:.1f}"
    return shown[:-2] if shown.endswith(".0") else shown


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


def _where(d: dict[str, Any], results: Results) -> tuple[str, str]:
    """(who most likely cuts, why we think so) from the ending and the environment scan."""
    ending = d.get("ending")
    agents = _agents(results)
    vpns = [a.get("name", "") for a in agents if a.get("kind") == "vpn"]
    inspectors = [a.get("name", "") for a in agents if a.get("kind") == "tls-inspection"]
    proxy = d.get("proxy")
    if ending in (FIN, TLS_CLOSE):
        if inspectors:
            return f"the TLS-inspecting proxy ({', '.join(inspectors)})", "it closes the connection politely"
        if proxy:
            return f"the proxy ({proxy})", "the connection goes through it and it closes politely"
        return "a proxy or gateway on the way", "the connection is closed politely (FIN), as proxies do"
    if vpns:
        return f"the VPN ({', '.join(vpns)}) or a firewall behind it", "it forgets silent flows"
    if ending == RESET:
        return "a firewall or NAT router", "it forgets silent connections and answers the next packet with a reset"
    return "a firewall", "it forgets silent connections and then drops their packets without a word"


def _keepalive_sentence(d: dict[str, Any], cut: float) -> str:
    ending = d.get("ending")
    if ending in (FIN, TLS_CLOSE):
        return ("TCP keepalive will not help: the box that closes the connection terminates TCP itself, and only "
                "data (such as the API's SSE pings during a stream) resets its timer.")
    if cut > SDK_KEEPALIVE_S + 5:
        return (f"The Python SDK's keepalive (first probe after {SDK_KEEPALIVE_S:.0f} s of silence) keeps its "
                "connections alive through this box; other clients need keepalive below "
                f"{num(cut)} s too.")
    return (f"TCP keepalive helps only if it fires before {num(cut)} s of silence; the Python SDK's starts after "
            f"{SDK_KEEPALIVE_S:.0f} s, too late for this network.")


def _client_sentence(d: dict[str, Any], cut: float, results: Results) -> str:
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
            effect, _ = setting_effect(cc, name, int(ms))
            if effect is False:
                continue  # a variable this version ignores (or a first-party-only watchdog) limits nothing
            ms = float(cv.effective_ms(name, cc.version, int(ms))[0])  # floors and clamps as the version applies
        limits.append((name, ms / 1000))
    if d.get("ending") == DROP:
        if limits:
            shown = ", ".join(f"{n}={num(s)} s" for n, s in limits)
            return f" Until a client gives up it just hangs (Claude Code here: {shown})."
        return " Clients then hang until their own timeout gives up (the SDK waits up to 600 s)."
    short = [(n, s) for n, s in limits if s < cut]
    if short:
        n, s = short[0]
        return f" Claude Code's {n} ({num(s)} s) is shorter than the cut, so it reports a timeout first."
    return ""


def _stream_evidence(results: Results) -> list[Evidence]:
    r = results.get("stream")
    if r is None or not r.data or r.data.get("outcome") not in ("reset", "closed", "stalled"):
        return []
    d = r.data
    return [Evidence("A real streamed answer also ended", d["outcome"], "",
                     f"after {d.get('silence_before_end_s', 0):.1f} s of silence, {d.get('total_s', 0):.1f} s in")]


def _evidence(d: dict[str, Any]) -> list[Evidence]:
    lo, hi = (list(d.get("bracket") or []) + [None, None])[:2]
    ev = [Evidence("Silence after which connections die", float(d["cut_s"]), "s"),
          Evidence("How they end", {RESET: "TCP reset (RST)", FIN: "closed (FIN)", TLS_CLOSE: "TLS close_notify",
                                    DROP: "silently dropped (no answer)"}.get(d.get("ending") or "", "?"))]
    if lo is not None:
        ev.append(Evidence("Longest silence survived", float(lo), "s"))
    if hi is not None:
        ev.append(Evidence("Shortest silence found fatal", float(hi), "s"))
    tested = [c for c in d.get("connections", []) if c.get("state") != "error"]
    ev.append(Evidence("Connections tested", len(tested), "",
                       "\n".join(f"held {c['hold_s']} s -> {c['state']} (silent {c.get('idle_s')} s)"
                                 for c in tested[:60])))
    if d.get("proxy"):
        ev.append(Evidence("Through proxy", d["proxy"]))
    return ev


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
            "The API closes idle connections after about 400 s (normal)",
            f"Silent connections were closed politely after {num(cut)} s: that is the API's own limit for idle "
            "connections, not your network. Clients open a fresh connection and carry on.",
            evidence, [], failure_mode=10,
        )
    who, why = _where(d, results)
    how = {RESET: "with a reset", FIN: "by closing them (FIN)", TLS_CLOSE: "by closing them (TLS close)",
           DROP: "by dropping them without a word"}.get(ending or "", "")
    plain = (f"Your network cuts silent connections after {num(cut)} s (±{num(unc)} s) {how}; the API itself "
             f"allows about {API_EDGE_IDLE_S:.0f} s. Most likely {who}: {why}. "
             + _keepalive_sentence(d, cut) + _client_sentence(d, cut, results))
    ask = (f"Connections from this laptop to the Anthropic API (api.anthropic.com:443) are cut after "
           f"{num(cut)} s without data ({how.removeprefix('with a ').removeprefix('by ')}). Please raise the idle "
           "timeout for this host to at least 600 s")
    ask += (" on the proxy (or exempt the host from TLS inspection)." if ending in (FIN, TLS_CLOSE)
            else " on the firewall/NAT/VPN that tracks the connection.")
    fixes = ["sdk-snippet"]
    if ending == DROP:
        fixes.append("claude-code-timeouts")
    if ending in (FIN, TLS_CLOSE):
        cause, title, mode = "idle-close", "Silent connections are closed", 2
    elif ending == DROP:
        cause, title, mode = "idle-drop", "Silent connections are dropped", 1
    else:
        cause, title, mode = "idle-reset", "Silent connections are reset", 1
    return Finding("idle.cut", cause, Severity.PROBLEM, Confidence.HIGH, title, plain, evidence, fixes,
                   ask_it=ask, failure_mode=mode)


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
    if inf.get("state") == "alive" and status and int(status) >= 500:
        how = f"answers HTTP {status}"
    elif inf.get("state") in ("reset", "closed", "tls_close"):
        how = {"reset": "resets the connection", "closed": "closes the connection",
               "tls_close": "closes the connection"}[inf["state"]]
    else:
        return None
    return Finding(
        "idle.inflight", "proxy-read-timeout", Severity.PROBLEM, Confidence.HIGH,
        "A gateway gives up on answers that take long",
        f"While Claude thinks, the answer is silent; a gateway on the way {how} after {num(after)} s of waiting. "
        "Idle connections are not cut, so it is a read timeout of a reverse proxy (nginx proxy_read_timeout "
        "defaults to 60 s), not a firewall.",
        [Evidence("Silent request ended after", after, "s"), Evidence("How it ended", how)],
        ["nginx-streaming"],
        ask_it=(f"The reverse proxy in front of the Anthropic API ends requests after {num(after)} s without an "
                "upstream byte. For nginx: proxy_read_timeout 600s; proxy_buffering off."),
        failure_mode=3,
    )
