"""The environment rules on scan data, and the pure VPN analysis (full vs split tunnel, stale/duplicate)."""

from __future__ import annotations

from typing import Any

from streamdoctor.diagnosis import diagnose
from streamdoctor.model import Finding, ProbeResult, Severity, Status
from streamdoctor.platform.agents import load_agents, match_adapter
from streamdoctor.probes.env_vpn import analyse
from streamdoctor.rules import environment as rules


def result(probe: str, data: dict[str, Any], status: Status = Status.OK) -> ProbeResult:
    return ProbeResult(probe, status, "", data=data)


def proxy_scan(system_proxy: str | None, python: str | None = None, claude: str | None = None) -> ProbeResult:
    return result("env.proxy", {
        "system": {"proxy": system_proxy, "source": "PAC file http://pac.corp.example/proxy.pac", "mode": "pac",
                   "pac_url": "http://pac.corp.example/proxy.pac", "pac_result": "PROXY a:1; PROXY b:2; DIRECT",
                   "error": None},
        "clients": {"python-sdk": {"proxy": python, "source": "no proxy environment variable"},
                    "claude-code": {"proxy": claude, "source": "no proxy environment variable"},
                    "node-sdk": {"proxy": None, "source": "direct"}},
        "env": {},
    })


def clients_scan(installed: bool = True, sdks: list[dict[str, Any]] | None = None,
                 settings: list[dict[str, Any]] | None = None) -> ProbeResult:
    return result("env.clients", {"claude_code": {"installed": installed, "settings": settings or []},
                                  "python_sdks": sdks or [], "node_sdk": {}})


def by_rule(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule_id]


def test_pac_says_proxy_clients_go_direct() -> None:
    results = {"env.proxy": proxy_scan("http://a:1"), "env.clients": clients_scan()}
    f = rules.proxy_mismatch(results)
    assert f is not None and f.failure_mode == 6
    assert f.severity is Severity.WARNING
    assert f.fix_ids == ["env-proxy", "claude-code-proxy"]
    assert "http://a:1" in f.plain and "the Anthropic Python SDK and Claude Code" in f.plain
    assert any(e.value == "PROXY a:1; PROXY b:2; DIRECT" for e in f.evidence)
    assert "api.anthropic.com" in f.ask_it


def test_mismatch_severity_follows_what_the_direct_path_did() -> None:
    base = {"env.proxy": proxy_scan("http://a:1"), "env.clients": clients_scan(installed=False)}
    failed = rules.proxy_mismatch({**base, "tcp": result("tcp", {"direct": {"ok": False}})})
    assert failed is not None and failed.severity is Severity.PROBLEM and failed.fix_ids == ["env-proxy"]
    worked = rules.proxy_mismatch({**base, "stream": result("stream", {"outcome": "completed"})})
    assert worked is not None and worked.severity is Severity.INFO


def test_no_mismatch_when_clients_use_the_proxy_or_system_is_direct() -> None:
    assert rules.proxy_mismatch({"env.proxy": proxy_scan("http://a:1", "http://a:1", "http://a:1")}) is None
    assert rules.proxy_mismatch({"env.proxy": proxy_scan(None)}) is None
    assert rules.proxy_mismatch({}) is None
    assert rules.proxy_mismatch({"env.proxy": result("env.proxy", {}, Status.ERROR)}) is None


def test_vpn_full_tunnel_is_context_and_mtu_black_hole_is_a_warning() -> None:
    vpn = result("env.vpn", {
        "agents": [{"name": "Cisco AnyConnect / Secure Client", "vendor": "Cisco", "kind": "vpn",
                    "evidence": "process vpnagentd is running; interface cscotun0 (up) matches cscotun\\d+",
                    "interfaces": ["cscotun0"]}],
        "api_via_tunnel": True, "tunnel_interface": "cscotun0", "tunnel_mtu": 1390, "default_via_tunnel": True,
        "tunnel_mode": "full", "tunnels_up": ["cscotun0"], "notes": []})
    info = rules.vpn_tunnel({"env.vpn": vpn})
    assert info is not None and info.severity is Severity.INFO and info.failure_mode == 4
    assert "Cisco AnyConnect" in info.plain and "cscotun0" in info.plain and "MTU 1390" in info.plain
    assert "full tunnel" in info.plain
    warn = rules.vpn_tunnel({"env.vpn": vpn, "mtu": result("mtu", {"path_mtu": 1300, "black_hole": True})})
    assert warn is not None and warn.severity is Severity.WARNING and warn.fix_ids == ["mtu"]
    assert "1300" in warn.plain
    split = dict(vpn.data, api_via_tunnel=False)
    assert rules.vpn_tunnel({"env.vpn": result("env.vpn", split)}) is None


def test_known_bad_sdk_versions_are_findings() -> None:
    sdks = [{"python": "/usr/bin/python3", "version": "0.50.0", "python_version": "3.11.2",
             "known_bad": "ignores HTTPS_PROXY (versions 0.47 to 0.53); its TCP keepalive options do not work"},
            {"python": "/opt/py/bin/python", "version": "2.13.0", "known_bad": None}]
    found = rules.sdk_version({"env.clients": clients_scan(sdks=sdks),
                               "env.proxy": result("env.proxy", {"env": {"HTTPS_PROXY": "http://p:1"}})})
    assert len(found) == 1
    assert found[0].fix_ids == ["sdk-snippet"] and found[0].failure_mode == 6
    assert "0.50.0" in found[0].plain and "/usr/bin/python3" in found[0].plain
    no_proxy = rules.sdk_version({"env.clients": clients_scan(sdks=sdks)})
    assert no_proxy[0].failure_mode == 9


def test_tls_agent_is_informational_until_the_tls_probe_confirms() -> None:
    vpn = result("env.vpn", {"agents": [{"name": "Zscaler Client Connector", "kind": "tls-inspection",
                                         "evidence": "process ZSATunnel is running"}]})
    info = rules.tls_agent({"env.vpn": vpn})
    assert info is not None and info.severity is Severity.INFO and info.failure_mode == 5 and not info.fix_ids
    tls = result("tls", {"inspected": True, "issuer": "Zscaler Root CA"})
    confirmed = rules.tls_agent({"env.vpn": vpn, "tls": tls})
    assert confirmed is not None and confirmed.severity is Severity.WARNING
    assert "Zscaler Root CA" in confirmed.plain and confirmed.fix_ids == ["claude-code-ca", "env-ca"]
    odd_tls = rules.tls_agent({"env.vpn": vpn, "tls": result("tls", {"weird": 1})})  # read defensively
    assert odd_tls is not None and odd_tls.severity is Severity.INFO


def test_unreadable_settings_and_socks_for_claude_code() -> None:
    settings = [{"path": "/home/u/.claude/settings.json", "error": "could not read: not valid JSON (x)"}]
    found = rules.claude_settings({"env.clients": clients_scan(settings=settings)})
    assert found and found[0].severity is Severity.WARNING and "/home/u/.claude/settings.json" in found[0].plain
    socks = rules.claude_socks({"env.proxy": proxy_scan(None, claude="socks5://s:1080")})
    assert socks is not None and socks.failure_mode == 7 and "socks5://s:1080" in socks.plain


def test_diagnose_runs_the_environment_rules() -> None:
    verdict = diagnose([proxy_scan("http://a:1"), clients_scan()])
    assert any(f.rule == "env.proxy-mismatch" for f in verdict.findings)


def iface(name: str, up: bool = True, mtu: int = 1500) -> dict[str, Any]:
    matched = match_adapter(name)
    vpn_match = None
    if matched:
        vpn_match = {"agent": matched[0].name, "pattern": matched[1], "weak": matched[0].weak}
    return {"name": name, "up": up, "mtu": mtu, "addresses": [], "vpn_match": vpn_match}


def agent(name: str) -> Any:
    return next(a for a in load_agents() if a.name.startswith(name))


def test_analyse_full_split_stale_and_duplicate_tunnels() -> None:
    gw_eth = {"ipv4": {"gateway": "192.0.2.1", "interface": "eth0"}}
    gw_tun = {"ipv4": {"gateway": "10.0.0.1", "interface": "cscotun0"}}
    cisco = {"Cisco AnyConnect / Secure Client": (agent("Cisco"), ["vpnagentd"])}
    full = analyse([iface("eth0"), iface("cscotun0", mtu=1390)], {"interface": "cscotun0"}, gw_tun, cisco)
    assert (full["api_via_tunnel"], full["tunnel_interface"], full["tunnel_mtu"], full["tunnel_mode"]) == (
        True, "cscotun0", 1390, "full")
    assert full["agents"][0]["processes"] == ["vpnagentd"] and "cscotun0" in full["agents"][0]["evidence"]
    split = analyse([iface("eth0"), iface("cscotun0")], {"interface": "eth0"}, gw_eth, cisco)
    assert split["api_via_tunnel"] is False and split["tunnel_mode"].startswith("split")
    stale = analyse([iface("eth0"), iface("tun0")], {"interface": "eth0"}, gw_eth, {})
    assert any("left over" in n for n in stale["notes"])
    double = analyse([iface("wg0"), iface("tailscale0")], {"interface": "wg0"}, gw_eth, {})
    assert any("2 tunnels are up" in n for n in double["notes"])
    assert double["tunnel_mode"].startswith("split (the API is one")
    openvpn = {"OpenVPN": (agent("OpenVPN"), ["openvpn"])}
    def1 = analyse([iface("eth0"), iface("tun0")], {"interface": "tun0"}, gw_eth, openvpn, internet_interface="tun0")
    assert def1["tunnel_mode"] == "full" and def1["notes"] == []  # 0.0.0.0/1 routes: netifaces sees eth0 only


def test_macos_utun_alone_proves_nothing() -> None:
    alone = analyse([iface("en0"), iface("utun3")], {"interface": "utun3"}, {}, {})
    assert alone["api_via_tunnel"] is False and alone["agents"] == []
    with_client = analyse([iface("en0"), iface("utun3")], {"interface": "utun3"}, {},
                          {"GlobalProtect": (agent("GlobalProtect"), ["PanGPS"])})
    assert with_client["api_via_tunnel"] is True
    no_route = analyse([iface("cscotun0")], None, {}, {})
    assert no_route["api_via_tunnel"] is None


def test_small_interface_mtu_is_context_unless_a_tunnel_explains_it() -> None:
    ifaces = result("env.interfaces", {"route": {"interface": "eth0", "mtu": 1400}})
    f = rules.route_mtu({"env.interfaces": ifaces})
    assert f is not None and f.severity is Severity.INFO and "eth0" in f.plain and "1400" in f.plain
    assert rules.route_mtu({"env.interfaces": result("env.interfaces", {"route": {"interface": "eth0",
                                                                                  "mtu": 1500}})}) is None
    assert rules.route_mtu({"env.interfaces": ifaces,
                            "env.vpn": result("env.vpn", {"api_via_tunnel": True})}) is None
    assert rules.route_mtu({"env.interfaces": result("env.interfaces", {"route": {}})}) is None
