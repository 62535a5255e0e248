"""Rules over the environment scan (env.interfaces, env.vpn, env.proxy, env.clients): proxy mismatches, VPN
tunnels, known-bad SDK versions, TLS-inspecting agents, unreadable client settings.

Other probes' data (tls, mtu, tcp, stream) is read defensively: a missing probe or key just means "not known".
Every text a user reads is marked for translation (whole sentences, named placeholders); the API host in advice to
IT is the placeholder {api}, so diagnose() can name a gateway instead and the text can still be re-said in English.
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import DEFAULT_API_HOST, Results, rule
from ..i18n import N_, _
from ..model import Confidence, Evidence, Finding, Severity, Status
from ..platform.parse_proxy import redact_proxy

# What each known problem of an SDK version (platform/parse_clients.SDK_KNOWN_BAD, which the scan stores in its
# data in English) says in the user's language, as a whole clause. A test keeps this in step with that table.
SDK_PROBLEM_WORDS: dict[str, str] = {
    "ignores HTTPS_PROXY (versions 0.47 to 0.53)": N_("it ignores HTTPS_PROXY (versions 0.47 to 0.53)"),
    "its TCP keepalive options do not work (fixed in 0.71.1)":
        N_("its TCP keepalive options do not work (fixed in 0.71.1)"),
}
# The API's host and port as advice to IT names them; diagnose() rewrites it for a gateway (placeholder values only).
API_HOST_PORT = DEFAULT_API_HOST + ":443"


def _data(results: Results, probe: str) -> dict[str, Any] | None:
    r = results.get(probe)
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED, Status.ERROR) or not r.data:
        return None
    return r.data


def _direct_works(results: Results) -> bool | None:
    """Did a direct connection to the API succeed (True), fail (False), or was it not tried (None)?"""
    stream = _data(results, "stream")
    if stream is not None and stream.get("outcome") == "completed" and not stream.get("proxy"):
        return True
    tcp = _data(results, "tcp")
    direct = (tcp or {}).get("direct")
    if isinstance(direct, dict) and "ok" in direct:
        return bool(direct["ok"])
    return None


def _claude_code_installed(results: Results) -> bool | None:
    clients = _data(results, "env.clients")
    if clients is None:
        return None
    return bool((clients.get("claude_code") or {}).get("installed"))


@rule("env.proxy-mismatch")
def proxy_mismatch(results: Results) -> Finding | None:
    """Failure mode 6: the system (PAC/WPAD/static) sends the API through a proxy; the clients go direct."""
    d = _data(results, "env.proxy")
    if d is None:
        return None
    system = d.get("system") or {}
    sys_proxy = system.get("proxy")
    if not sys_proxy:
        return None
    clients = d.get("clients") or {}
    relevant = ["python-sdk"]
    if _claude_code_installed(results) is not False:
        relevant.append("claude-code")
    direct = [c for c in relevant if isinstance(clients.get(c), dict) and not clients[c].get("proxy")]
    if not direct:
        return None
    shown = redact_proxy(sys_proxy)
    source = system.get("source") or _("the system settings")
    works = _direct_works(results)
    severity, confidence = Severity.WARNING, Confidence.MEDIUM
    extra = _("If your network blocks direct connections, their requests fail or are cut while the browser works.")
    if works is False:
        severity, confidence = Severity.PROBLEM, Confidence.HIGH
        extra = _("A direct connection to the API failed here, so this is very likely why they fail.")
    elif works is True:
        severity, confidence = Severity.INFO, Confidence.MEDIUM
        extra = _("A direct connection worked in this test, so it does no harm right now.")
    evidence = [Evidence(_("System proxy for the API"), shown, raw=source)]
    if system.get("pac_result"):
        evidence.append(Evidence(_("PAC answer"), system["pac_result"], raw=system.get("pac_url") or ""))
    for c in direct:
        evidence.append(Evidence(_("Proxy used by {client}", client=c), _("direct"),
                                 raw=clients[c].get("source", "")))
    fixes = ["env-proxy"] + (["claude-code-proxy"] if "claude-code" in direct else [])
    if system.get("pac_url"):
        where = _("Your proxy script (PAC file {pac}) sends Claude's traffic through the proxy {proxy}.",
                  pac=system["pac_url"], proxy=shown)
    else:
        where = _("Your system proxy settings ({source}) send Claude's traffic through the proxy {proxy}.",
                  source=source, proxy=shown)
    # One whole sentence per set of clients that go direct: the verb agrees with them and what they read differs.
    if direct == ["claude-code"]:
        who = _("But Claude Code connects directly: it never reads proxy scripts or browser settings, only "
                "HTTPS_PROXY and its settings.json.")
    elif len(direct) > 1:
        who = _("But the Anthropic Python SDK and Claude Code connect directly: they never read proxy scripts or "
                "browser settings, only HTTPS_PROXY (Claude Code also its settings.json).")
    else:
        who = _("But the Anthropic Python SDK connects directly: it never reads proxy scripts or browser "
                "settings, only HTTPS_PROXY.")
    return Finding(
        "env.proxy-mismatch", "proxy-not-used", severity, confidence,
        _("Your system uses a proxy, your Claude tools do not"),
        # TRANSLATORS: three whole sentences in a row (where the proxy is set, who ignores it, what follows);
        # leave out the spaces between them where the language does (Japanese, Chinese).
        _("{where} {who} {extra}", where=where, who=who, extra=extra),
        evidence, fixes,
        ask_it=_("Our proxy configuration ({source}) routes {api} through {proxy}. Command-line tools and SDKs do "
                 "not evaluate PAC files. Please confirm which proxy they should set in HTTPS_PROXY, or allow direct "
                 "HTTPS connections to {api_port}.", source=source, api=DEFAULT_API_HOST, proxy=shown,
                 api_port=API_HOST_PORT),
        failure_mode=6,
    )


@rule("env.vpn-tunnel")
def vpn_tunnel(results: Results) -> Finding | None:
    """Context for failure mode 4: the API traffic goes through a VPN tunnel (its MTU and idle rules apply)."""
    d = _data(results, "env.vpn")
    if d is None or not d.get("api_via_tunnel"):
        return None
    iface = d.get("tunnel_interface") or "?"
    mtu = d.get("tunnel_mtu")
    agents = [a["name"] for a in d.get("agents", []) if a.get("kind") == "vpn" or iface in a.get("interfaces", [])]
    # TRANSLATORS: the subject of a sentence when the VPN product is not known ("A VPN carries your traffic...").
    name = agents[0] if agents else _("A VPN")
    full = bool(d.get("default_via_tunnel"))
    mtu_data = _data(results, "mtu") or {}
    black_hole = mtu_data.get("black_hole") is True
    path_mtu = mtu_data.get("path_mtu")
    evidence = [Evidence(_("Tunnel interface"), iface),
                Evidence(_("Tunnel MTU"), mtu if mtu else _("unknown"), _("bytes") if mtu else ""),
                Evidence(_("Tunnel mode"), d.get("tunnel_mode") or _("unknown"))]
    for a in d.get("agents", []):
        evidence.append(Evidence(a["name"], a.get("kind", ""), raw=a.get("evidence", "")))
    # The tunnel as the sentence names it: its interface, and its MTU when known (a number, not a quantity word).
    tunnel = _("{iface}, MTU {mtu}", iface=iface, mtu=str(mtu)) if mtu else iface
    if full:
        plain = _("{name} carries your traffic to Claude (full tunnel: all your traffic goes through {tunnel}). Its "
                  "packet-size limit and idle timeouts apply to every answer.", name=name, tunnel=tunnel)
    else:
        plain = _("{name} carries your traffic to Claude (split tunnel, but the route to Claude goes through "
                  "{tunnel}). Its packet-size limit and idle timeouts apply to every answer.", name=name, tunnel=tunnel)
    if black_hole or (path_mtu and mtu and path_mtu < mtu):
        if path_mtu:
            drops = _("Large packets do not get through it (path MTU {path_mtu}): this can stall large requests "
                      "and TLS handshakes.", path_mtu=str(path_mtu))
            evidence.append(Evidence(_("Measured path MTU"), path_mtu, _("bytes")))
        else:
            drops = _("Large packets do not get through it (path MTU unknown): this can stall large requests and "
                      "TLS handshakes.")
        return Finding("env.vpn-tunnel", "vpn-mtu", Severity.WARNING, Confidence.MEDIUM,
                       _("Claude's traffic goes through a VPN that drops large packets"),
                       # TRANSLATORS: two whole sentences in a row; leave out the space where the language does.
                       _("{first} {second}", first=plain, second=drops), evidence, ["mtu"],
                       ask_it=_("Traffic to {api} goes through our VPN ({name}, interface {iface}) and large packets "
                                "are dropped on that path. Please check the tunnel MTU / MSS clamping, or exclude "
                                "{api} from the tunnel (split tunnel).", api=DEFAULT_API_HOST, name=name, iface=iface),
                       failure_mode=4)
    return Finding("env.vpn-tunnel", "vpn-full-tunnel" if full else "vpn-tunnel", Severity.INFO, Confidence.HIGH,
                   _("Claude's traffic goes through your VPN"), plain, evidence, [],
                   ask_it=_("Traffic to {api} goes through our VPN ({name}). If streams are cut, please check the "
                            "VPN's idle timeout for long HTTPS connections or exclude {api} from the tunnel.",
                            api=DEFAULT_API_HOST, name=name),
                   failure_mode=4)


@rule("env.vpn-notes")
def vpn_notes(results: Results) -> list[Finding]:
    """Stale or duplicate tunnels: informational, with the interfaces quoted."""
    d = _data(results, "env.vpn")
    if d is None:
        return []
    return [Finding("env.vpn-notes", "tunnel-oddity", Severity.INFO, Confidence.LOW, _("Unusual VPN state"), note,
                    [Evidence(_("Tunnels up"), ", ".join(d.get("tunnels_up", [])) or _("none"))], failure_mode=4)
            for note in d.get("notes", [])]


@rule("env.sdk-version")
def sdk_version(results: Results) -> list[Finding]:
    """Known-bad anthropic Python SDK versions (DESIGN.md facts): keepalive broken, HTTPS_PROXY ignored."""
    d = _data(results, "env.clients")
    if d is None:
        return []
    proxy_env = bool((_data(results, "env.proxy") or {}).get("env"))
    out = []
    for p in d.get("python_sdks", []):
        why = p.get("known_bad")
        if not why:
            continue
        ignores_proxy = "HTTPS_PROXY" in why
        mode = 6 if ignores_proxy and proxy_env else 9
        out.append(Finding(
            "env.sdk-version", "sdk-known-bad", Severity.WARNING, Confidence.HIGH,
            _("Old Anthropic Python SDK {version}", version=p.get("version")),
            # TRANSLATORS: {why} is one or more whole clauses ("it ignores HTTPS_PROXY ..."), translated separately.
            _("The Python at {python} has the anthropic package {version}, which has a known problem: {why}. Long "
              "streamed answers from scripts using it break more easily; upgrade with `pip install -U anthropic`.",
              python=p.get("python"), version=p.get("version"), why=_sdk_problems(str(why))),
            [Evidence(_("anthropic version"), p.get("version")),
             Evidence("Python", p.get("python"), raw=p.get("python_version") or "")],
            ["sdk-snippet"], failure_mode=mode,
        ))
    return out


def _sdk_problems(known_bad: str) -> str:
    """The scan's known problems (English, "; "-joined in the data) as the user's language says them; a problem
    this table does not know is shown as the scan wrote it."""
    said: str | None = None
    for part in (p.strip() for p in known_bad.split(";")):
        if not part:
            continue
        words = SDK_PROBLEM_WORDS.get(part)
        clause = _(words) if words else part
        # TRANSLATORS: two known problems of one SDK version in a row, each a whole clause.
        said = clause if said is None else _("{first}; {second}", first=said, second=clause)
    return said or known_bad


@rule("env.tls-agent")
def tls_agent(results: Results) -> Finding | None:
    """Failure mode 5 context: an agent that inspects TLS is present. Informational unless the TLS probe saw
    inspection; then it names the likely inspector."""
    d = _data(results, "env.vpn")
    if d is None:
        return None
    agents = [a for a in d.get("agents", []) if a.get("kind") == "tls-inspection" or a.get("may_inspect_tls")]
    if not agents:
        return None
    names = ", ".join(a["name"] for a in agents)  # product names, as they are
    tls = _data(results, "tls") or {}
    inspected = tls.get("inspected") is True
    evidence = [Evidence(a["name"], a.get("kind", ""), raw=a.get("evidence", "")) for a in agents]
    if inspected:
        issuer = tls.get("issuer") or tls.get("inspector") or _("an unknown issuer")
        evidence.append(Evidence(_("Certificate issuer seen for the API"), issuer))
        return Finding(
            "env.tls-agent", "tls-inspection-agent", Severity.WARNING, Confidence.HIGH,
            _("{name} inspects your encrypted traffic", name=agents[0]["name"]),
            _("{names} is running and the API's certificate was issued by {issuer}, not by a public authority: your "
              "traffic to Claude is decrypted and re-encrypted on the way. Tools that do not trust that company "
              "certificate fail, and inspection proxies often cut long streams.", names=names, issuer=issuer),
            evidence, ["claude-code-ca", "env-ca"],
            ask_it=_("{names} inspects TLS to {api} (certificate issuer: {issuer}). Please exempt {api} from TLS "
                     "inspection; long-lived streaming responses are cut otherwise.",
                     names=names, api=DEFAULT_API_HOST, issuer=issuer),
            failure_mode=5,
        )
    return Finding(
        "env.tls-agent", "tls-inspection-agent-present", Severity.INFO, Confidence.LOW,
        _("A security agent that can inspect encrypted traffic is installed"),
        _("{names} is running on this computer. Such agents can decrypt HTTPS; the TLS check shows whether they do "
          "it for Claude's traffic.", names=names),
        evidence, [], failure_mode=5,
    )


@rule("env.claude-settings")
def claude_settings(results: Results) -> list[Finding]:
    """An unreadable Claude Code settings.json silently drops its env block (proxy, CA, timeouts)."""
    d = _data(results, "env.clients")
    if d is None:
        return []
    cc = d.get("claude_code") or {}
    out = []
    for s in cc.get("settings", []):
        if not s.get("error"):
            continue
        severity = Severity.WARNING if cc.get("installed") else Severity.INFO
        out.append(Finding(
            "env.claude-settings", "settings-unreadable", severity, Confidence.HIGH,
            _("Claude Code's settings file cannot be read"),
            _("{path}: {error}. Claude Code then ignores the settings in it, including any proxy, certificate or "
              "timeout entries in its \"env\" block.", path=s["path"], error=s["error"]),
            [Evidence(_("Settings file"), s["path"], raw=s["error"])], ["claude-code-proxy"] if cc.get("installed")
            else [], failure_mode=9,
        ))
    return out


@rule("env.claude-socks")
def claude_socks(results: Results) -> Finding | None:
    """Claude Code cannot use SOCKS proxies (failure mode 7)."""
    d = _data(results, "env.proxy")
    if d is None:
        return None
    entry = (d.get("clients") or {}).get("claude-code") or {}
    proxy = entry.get("proxy") or ""
    if not proxy.lower().startswith("socks"):
        return None
    return Finding(
        "env.claude-socks", "socks-proxy", Severity.WARNING, Confidence.HIGH,
        _("Claude Code is set to a SOCKS proxy"),
        _("Claude Code is told to use {proxy}, but it only speaks to HTTP(S) proxies, not SOCKS.",
          proxy=redact_proxy(proxy)),
        [Evidence(_("Claude Code proxy"), redact_proxy(proxy), raw=entry.get("source", ""))], ["claude-code-proxy"],
        ask_it=_("Claude Code needs an HTTP(S) proxy (CONNECT). Please tell me the HTTP proxy address for {api}.",
                 api=DEFAULT_API_HOST),
        failure_mode=7,
    )


@rule("env.pac-unreadable")
def pac_unreadable(results: Results) -> Finding | None:
    d = _data(results, "env.proxy")
    system = (d or {}).get("system") or {}
    if not system.get("pac_url") or not system.get("error"):
        return None
    return Finding(
        "env.pac-unreadable", "pac-unreadable", Severity.INFO, Confidence.MEDIUM,
        _("The proxy script (PAC) could not be evaluated"),
        _("Your system uses the proxy script {pac}, but it could not be evaluated here ({error}), so which proxy "
          "Claude's traffic should take is unknown.", pac=system["pac_url"], error=system["error"]),
        [Evidence(_("PAC file"), system["pac_url"], raw=system["error"])], [], failure_mode=6,
    )


@rule("env.route-mtu")
def route_mtu(results: Results) -> Finding | None:
    """Context for failure mode 4: the interface towards the API has a smaller MTU than Ethernet's 1500 (VPN,
    PPPoE, some clouds). Not a problem by itself; the path-MTU test tells whether large packets get through."""
    d = _data(results, "env.interfaces")
    route = (d or {}).get("route") or {}
    mtu, iface = route.get("mtu"), route.get("interface")
    if not isinstance(mtu, int) or mtu >= 1500 or not iface or iface == "lo":
        return None
    vpn = _data(results, "env.vpn") or {}
    if vpn.get("api_via_tunnel"):
        return None  # the VPN finding already names the tunnel and its MTU
    return Finding(
        "env.route-mtu", "small-interface-mtu", Severity.INFO, Confidence.HIGH,
        _("Smaller packets than usual on the way to Claude"),
        _("Traffic to Claude leaves by {iface}, whose packets are limited to {mtu} bytes (usually 1500). That is "
          "normal for VPNs, DSL (PPPoE) and some virtual networks; it only causes trouble if a device further on "
          "drops larger packets silently, which the packet-size test checks.", iface=iface, mtu=mtu),
        [Evidence(_("Interface"), iface),
         Evidence(_("Interface MTU"), mtu, _("bytes"), raw=route.get("assumed") or "")],
        [], failure_mode=4,
    )
