"""The pure parsers of platform/ on recorded outputs of all three OSes, plus odd input that must not raise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamdoctor.platform import parse_clients as pc
from streamdoctor.platform import parse_net as pn
from streamdoctor.platform import parse_proxy as pp
from streamdoctor.platform.agents import load_agents, match_adapter, match_process

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "env"


def fixture(rel: str) -> str:
    return (FIXTURES / rel).read_bytes().decode("utf-8")


# --- Linux: GNOME ---------------------------------------------------------------------------------------------


def test_gsettings_none_as_recorded_on_this_machine() -> None:
    sp = pp.parse_gsettings_proxy(fixture("linux/gsettings_none_debian12.txt"))
    assert (sp.mode, sp.http, sp.https, sp.pac_url, sp.error) == ("none", None, None, None, None)
    assert sp.bypass == ["localhost", "127.0.0.0/8", "::1"]


def test_gsettings_manual_with_credentials_and_ipv6_https_host() -> None:
    sp = pp.parse_gsettings_proxy(fixture("linux/gsettings_manual_auth_ipv6.txt"))
    assert sp.mode == "manual"
    assert sp.http == "http://jdoe:pa%3Ass@proxy.corp.example:3128"  # the ':' in the password is escaped
    assert sp.https == "http://[fd00:abcd::10]:8443"
    assert "*.corp.example" in sp.bypass
    assert pp.static_proxy_for(sp, "https://api.anthropic.com/v1/messages") == "http://[fd00:abcd::10]:8443"
    assert pp.static_proxy_for(sp, "https://git.corp.example/") is None
    assert pp.static_proxy_for(sp, "https://10.2.3.4/") is None
    assert pp.redact_proxy(sp.http) == "http://jdoe:***@proxy.corp.example:3128"


def test_gsettings_auto_with_url_is_pac_without_url_is_wpad() -> None:
    pac = pp.parse_gsettings_proxy(fixture("linux/gsettings_auto_pac.txt"))
    assert (pac.mode, pac.pac_url, pac.bypass) == ("pac", "http://wpad.corp.example/proxy.pac", [])
    wpad = pp.parse_gsettings_proxy(fixture("linux/gsettings_auto_wpad.txt"))
    assert (wpad.mode, wpad.pac_url, wpad.auto_detect) == ("auto-detect", None, True)


def test_gsettings_garbage_says_could_not_read() -> None:
    sp = pp.parse_gsettings_proxy("No such schema “org.gnome.system.proxy”\n")
    assert sp.mode == "unknown" and sp.error and sp.error.startswith("could not read")


# --- Linux: KDE ----------------------------------------------------------------------------------------------


def test_kioslaverc_manual_kde5_space_separated_ports_and_credentials() -> None:
    sp = pp.parse_kioslaverc(fixture("linux/kioslaverc_manual_kde5.txt"))
    assert sp.mode == "manual"
    assert sp.http == "http://proxy.corp.example:3128"
    assert sp.https == "http://jdoe:s3cret@proxy.corp.example:3128"
    assert sp.socks == "socks5://socks.corp.example:1080"  # KDE's socks:// is SOCKS5 (KIO + Qt)
    assert sp.bypass == ["localhost", "127.0.0.1", ".corp.example", "10.0.0.0/8"]
    assert pp.static_proxy_for(sp, "https://build.corp.example/") is None


def test_kioslaverc_pac_env_and_empty_values() -> None:
    pac = pp.parse_kioslaverc(fixture("linux/kioslaverc_pac.txt"))
    assert (pac.mode, pac.pac_url) == ("pac", "http://wpad.corp.example/wpad.dat")
    env = pp.parse_kioslaverc(fixture("linux/kioslaverc_env.txt"),
                              {"HTTPS_PROXY": "proxy.corp.example:3128", "NO_PROXY": "localhost,.corp.example"})
    assert (env.mode, env.https, env.bypass) == ("manual", "http://proxy.corp.example:3128",
                                                 ["localhost", ".corp.example"])
    assert pp.parse_kioslaverc(fixture("linux/kioslaverc_env.txt"), {}).mode == "env"
    empty = pp.parse_kioslaverc(fixture("linux/kioslaverc_empty_values.txt"))
    assert (empty.mode, empty.http, empty.https) == ("none", None, None)


# --- Linux: ip ---------------------------------------------------------------------------------------------


def test_ip_route_get_recorded_variants() -> None:
    via = pn.parse_ip_route_get(fixture("linux/ip_route_get_via_gateway.txt"))
    assert via is not None
    assert (via.destination, via.gateway, via.interface, via.source_address) == (
        "203.0.113.5", "192.0.2.1", "eth0", "192.0.2.2")
    onlink = pn.parse_ip_route_get(fixture("linux/ip_route_get_onlink.txt"))
    assert onlink is not None and (onlink.gateway, onlink.interface) == (None, "eth0")
    local = pn.parse_ip_route_get(fixture("linux/ip_route_get_local.txt"))
    assert local is not None and (local.destination, local.interface) == ("127.0.0.1", "lo")
    v6 = pn.parse_ip_route_get(fixture("linux/ip6_route_get_via_gateway.txt"))
    assert v6 is not None and (v6.destination, v6.gateway, v6.source_address) == ("2001:db8::5", "fd00::1",
                                                                                  "fd00::2")


def test_ip_route_get_through_a_vpn_tunnel_with_a_cached_mtu() -> None:
    route = pn.parse_ip_route_get(fixture("linux/ip_route_get_cscotun0.txt"))
    assert route is not None and route.interface == "cscotun0"
    text = "198.51.100.7 via 10.99.0.1 dev eth0 src 10.99.0.2 uid 0 \n    cache expires 599sec mtu 1400 \n"
    cached = pn.parse_ip_route_get(text)
    assert cached is not None and cached.mtu == 1400


def test_ip_route_and_addr_tables() -> None:
    routes = pn.parse_ip_route(fixture("linux/ip_route.txt"))
    assert routes[0] == {"destination": "default", "gateway": "192.0.2.1", "interface": "eth0", "metric": None,
                         "mtu": None}
    v6 = pn.parse_ip_route(fixture("linux/ip6_route.txt"))
    assert [r["destination"] for r in v6] == ["fd00::/64", "fe80::/64", "default"] and v6[2]["metric"] == 1024
    assert pn.parse_ip_route("10.0.0.0/8 dev tun0 mtu lock 1300\n")[0]["mtu"] == 1300
    addrs = pn.parse_ip_addr_oneline(fixture("linux/ip_o_addr.txt"))
    assert {"interface": "eth0", "family": "inet6", "address": "fd00::2", "prefix": 64, "index": 4,
            "peer": None} in addrs
    assert len(addrs) == 5
    # `-o` layout of a point-to-point tunnel: the prefix belongs to the peer (real multi-line captures of the
    # same case are in tests/fixtures/captures/ipaddr/)
    tun = pn.parse_ip_addr_oneline("5: tun0    inet 10.163.45.46 peer 10.163.45.45/32 scope global tun0\\       "
                                   "valid_lft forever preferred_lft forever\n")
    assert [(a["interface"], a["address"], a["prefix"], a["peer"]) for a in tun] == [
        ("tun0", "10.163.45.46", 32, "10.163.45.45")]


# --- macOS -------------------------------------------------------------------------------------------------


def test_scutil_manual_ignores_scoped_blocks_and_brackets_ipv6() -> None:
    sp = pp.parse_scutil_proxy(fixture("macos/scutil_proxy_manual_scoped.txt"))
    assert sp.mode == "manual"
    assert sp.http == "http://proxy.corp.example:8080"  # not the en0-scoped one
    assert sp.https == "http://[2001:db8::8]:8443"
    assert "<local>" in sp.bypass and "*.corp.example" in sp.bypass
    assert pp.static_proxy_for(sp, "https://intranet/") is None  # ExcludeSimpleHostnames
    assert pp.static_proxy_for(sp, "https://api.anthropic.com/") == "http://[2001:db8::8]:8443"


def test_scutil_wpad_with_socks() -> None:
    wpad = pp.parse_scutil_proxy(fixture("macos/scutil_proxy_wpad_socks.txt"))
    assert wpad.auto_detect and wpad.socks == "socks5://127.0.0.1:1080" and wpad.mode == "manual"
    assert wpad.bypass == []


def test_scutil_error_text_is_could_not_read() -> None:
    sp = pp.parse_scutil_proxy("scutil: command not found\n")
    assert sp.mode == "unknown" and "could not read" in (sp.error or "")


def test_macos_route_get_variants() -> None:
    # Reconstructed layouts with no real capture yet (a gateway-less tunnel route, IPv6, the error line);
    # real default and utun routes are in tests/fixtures/captures/macos/.
    vpn = pn.parse_macos_route_get(fixture("macos/route_get_vpn_utun.txt"))
    assert vpn is not None and (vpn.interface, vpn.gateway, vpn.mtu) == ("utun4", None, 1390)
    v6 = pn.parse_macos_route_get(fixture("macos/route_get_v6.txt"))
    assert v6 is not None and (v6.destination, v6.gateway) == ("2607:6bc0::10", "fe80::1%en0")
    assert pn.parse_macos_route_get(fixture("macos/route_get_not_in_table.txt")) is None


# --- Windows ------------------------------------------------------------------------------------------------


def test_reg_query_manual_dump_keeps_root_values_and_connection_blob() -> None:
    values = pp.parse_reg_query(fixture("windows/reg_query_s_manual_en.txt"))
    assert values["ProxyEnable"] == 1  # not the 0 of the \5.0 subkey
    assert values["ProxyServer"] == "proxy.corp.example:8080"
    assert "SavedLegacySettings" not in values
    assert pp.connection_flags(values["DefaultConnectionSettings"]) == {
        "proxy": True, "auto_config_url": False, "auto_detect": False}
    sp = pp.parse_windows_internet_settings(values)
    assert (sp.mode, sp.http, sp.https) == ("manual", "http://proxy.corp.example:8080",
                                            "http://proxy.corp.example:8080")
    assert sp.bypass == ["*.corp.example", "10.*", "<local>"]
    assert pp.static_proxy_for(sp, "https://10.1.1.1/") is None
    assert pp.static_proxy_for(sp, "https://printer/") is None
    assert pp.static_proxy_for(sp, "https://api.anthropic.com/") == "http://proxy.corp.example:8080"


def test_reg_query_pac_with_per_protocol_servers_switched_off() -> None:
    values = pp.parse_reg_query(fixture("windows/reg_query_s_pac_per_protocol.txt"))
    sp = pp.parse_windows_internet_settings(values)
    assert sp.mode == "pac" and sp.pac_url == "http://pac.corp.example/proxy.pac"
    assert sp.http is None  # ProxyEnable is 0: the remembered servers do not apply
    assert sp.auto_detect  # flags byte 0x0D
    assert pp.parse_proxy_server_list(values["ProxyServer"]) == {
        "http": "http://proxy.corp.example:80", "https": "http://proxy.corp.example:443",
        "socks": "socks4://socks.corp.example:1080"}


def test_reg_query_localised_and_empty() -> None:
    dump = fixture("windows/reg_query_localised_de_partial.txt")
    partial = pp.parse_windows_internet_settings(pp.parse_reg_query(dump))
    assert (partial.mode, partial.https) == ("manual", "http://proxy.corp.example:443")
    assert pp.parse_reg_query(fixture("windows/reg_query_missing_de.txt")) == {}
    assert pp.parse_windows_internet_settings({}).mode == "none"
    empty = pp.parse_windows_internet_settings(pp.parse_reg_query(fixture("windows/reg_query_empty_values.txt")))
    assert (empty.mode, empty.http, empty.pac_url, empty.bypass) == ("none", None, None, ["<local>"])


def test_winhttp_value_sets() -> None:
    data = json.loads(fixture("windows/winhttp_ie_config.json"))
    modes = {}
    for name, cfg in data["ie_configs"].items():
        sp = pp.parse_winhttp_ie_config(cfg["fAutoDetect"], cfg["lpszAutoConfigUrl"], cfg["lpszProxy"],
                                        cfg["lpszProxyBypass"])
        modes[name] = sp.mode
        if name == "static_per_protocol":
            assert sp.https == "http://proxy.corp.example:443" and sp.bypass == ["*.corp.example", "<local>"]
    assert modes == {"auto_detect_only": "auto-detect", "pac": "pac", "static_per_protocol": "manual",
                     "static_single": "manual", "nothing": "none"}
    for text in data["proxy_for_url"].values():
        assert pp.parse_proxy_server_list(text)["https"] == "http://proxy1.corp.example:8080"


def test_windows_adapter_descriptions_name_the_vpn_behind_ethernet_3() -> None:
    data = json.loads(fixture("windows/network_adapters.json"))
    names = pn.join_adapter_descriptions(data["drivers"], data["connections"])
    assert names["Ethernet 3"] == "PANGP Virtual Ethernet Adapter Secure"
    assert names["Ethernet 4"].startswith("Cisco AnyConnect")  # the GUID's case differs between the two keys
    vpns = {n: m[0].name for n in names if (m := match_adapter(n) or match_adapter(names[n]))}
    assert vpns == {"Ethernet 3": "GlobalProtect", "Ethernet 4": "Cisco AnyConnect / Secure Client",
                    "CloudflareWARP": "Cloudflare WARP"}


# --- environment variables and PAC answers -------------------------------------------------------------------


def test_env_both_spellings_lower_case_wins_and_no_proxy() -> None:
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2", "NO_PROXY": ".corp.example, 10.0.0.0/8"}
    assert pp.env_proxy_for("https://api.anthropic.com/v1/messages", env) == (
        "http://lower:2", "https_proxy environment variable")
    assert pp.env_proxy_for("https://x.corp.example/", env)[0] is None
    assert pp.env_proxy_for("https://10.9.8.7/", env)[0] is None
    assert pp.env_proxy_for("http://api.anthropic.com/", env) == (None, "no proxy environment variable")
    assert pp.env_proxy_for("https://api.anthropic.com/", {"ALL_PROXY": "socks5://s:1080"})[0] == "socks5://s:1080"
    assert pp.env_proxy_for("https://a/", {"HTTPS_PROXY": "not a url"})[0] is None


@pytest.mark.parametrize(("host", "no_proxy", "expected"), [
    ("api.anthropic.com", "*", True),
    ("api.anthropic.com", "anthropic.com", True),
    ("api.anthropic.com", ".anthropic.com", True),
    ("api.anthropic.com", "*.anthropic.com", True),
    ("notanthropic.com", "anthropic.com", False),
    ("api.anthropic.com", "api.anthropic.com:443", True),
    ("::1", "[::1]", True),
    ("fd00::5", "fd00::/64", True),
    ("192.168.1.5", "192.168.0.0/16", True),
    ("192.169.1.5", "192.168.0.0/16", False),
    ("api.anthropic.com", "", False),
])
def test_no_proxy_matching(host: str, no_proxy: str, expected: bool) -> None:
    assert pp.no_proxy_matches(host, no_proxy) is expected


def test_raw_outputs_lose_their_passwords() -> None:
    gnome = pp.redact_text(fixture("linux/gsettings_manual_auth_ipv6.txt"))
    assert "pa:ss" not in gnome and "authentication-password '***'" in gnome and "'jdoe'" in gnome
    kde = pp.redact_text(fixture("linux/kioslaverc_manual_kde5.txt"))
    assert "s3cret" not in kde and "http://jdoe:***@proxy.corp.example 3128" in kde
    untouched = fixture("linux/gsettings_none_debian12.txt")
    assert pp.redact_text(untouched) == untouched  # an empty password stays visibly empty


def test_pac_answers() -> None:
    assert pp.parse_pac_result("PROXY a:1; PROXY b:2; DIRECT") == [("PROXY", "a:1"), ("PROXY", "b:2"),
                                                                    ("DIRECT", "")]
    assert pp.pac_first_choice("PROXY a:1; PROXY b:2; DIRECT") == ("http://a:1", True)
    assert pp.pac_first_choice("DIRECT") == (None, True)
    assert pp.pac_first_choice("HTTPS secure.corp:443") == ("https://secure.corp:443", True)
    assert pp.pac_first_choice("SOCKS5 s:1080; DIRECT") == ("socks5://s:1080", True)
    assert pp.pac_first_choice("") == (None, False)
    assert pp.pac_first_choice("BOGUS thing") == (None, False)
    assert pp.pac_first_choice("  proxy   [2001:db8::1]:3128 ;") == ("http://[2001:db8::1]:3128", True)


# --- clients ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "bad"), [
    ("0.46.0", "keepalive"), ("0.47.0", "HTTPS_PROXY"), ("0.53.9", "HTTPS_PROXY"), ("0.54.0", "keepalive"),
    ("0.71.0", "keepalive"), ("0.71.1", None), ("2.13.0", None), ("0.71", "keepalive"), ("garbage", None),
])
def test_sdk_known_bad_ranges(version: str, bad: str | None) -> None:
    why = pc.sdk_known_bad(version)
    assert (why is None) if bad is None else (bad in (why or ""))


def test_claude_settings_and_package_json() -> None:
    env, _, error = pc.parse_claude_settings('{"env": {"HTTPS_PROXY": "http://p:3128", "API_TIMEOUT_MS": 900000}}')
    assert error is None and env == {"HTTPS_PROXY": "http://p:3128", "API_TIMEOUT_MS": "900000"}
    for broken in ("{", "[]", '{"env": []}', ""):
        assert pc.parse_claude_settings(broken)[2].startswith("could not read")  # type: ignore[union-attr]
    assert pc.parse_package_json('{"name": "@anthropic-ai/claude-code", "version": "2.0.14"}')[:2] == (
        "@anthropic-ai/claude-code", "2.0.14")
    assert pc.parse_python_probe_output("/usr/bin/python3\t3.11.2\t-\n") == ("/usr/bin/python3", "3.11.2", None)
    assert pc.parse_pyenv_version_file("3.11.7\n# comment\n3.12.1 system\n") == ["3.11.7", "3.12.1", "system"]
    assert pc.parse_npmrc_prefix("cache=/x\nprefix = ~/.npm-global\n") == "~/.npm-global"


def test_agent_table_matches_adapters_and_processes() -> None:
    assert len(load_agents()) >= 15
    for name, agent in [("cscotun0", "Cisco"), ("PANGP Virtual Ethernet Adapter #2", "GlobalProtect"),
                        ("CloudflareWARP", "Cloudflare WARP"), ("tailscale0", "Tailscale"), ("wg0", "WireGuard"),
                        ("tun0", "Tunnel interface"), ("ppp0", "Point-to-point")]:
        m = match_adapter(name)
        assert m is not None and agent in m[0].name, name
    assert match_adapter("eth0") is None and match_adapter("wlan0") is None and match_adapter("tunnel") is None
    utun = match_adapter("utun3")
    assert utun is not None and utun[0].weak
    assert match_process("ZSATunnel.exe").kind == "tls-inspection"  # type: ignore[union-attr]
    assert match_process("stagentsvc").vendor == "Netskope"  # type: ignore[union-attr]
    assert match_process("bash") is None


# --- no parser raises on arbitrary text ------------------------------------------------------------------------

TEXT_PARSERS = [
    pp.parse_scutil_proxy, pp.parse_gsettings_proxy, pp.parse_kioslaverc, pp.parse_reg_query,
    pp.parse_proxy_server_list, pp.parse_pac_result, pp.pac_first_choice, pp.normalise_proxy, pp.redact_proxy,
    pp.parse_gvariant, pp.redact_text, pn.parse_ip_route_get, pn.parse_ip_route, pn.parse_ip_addr_oneline,
    pn.parse_macos_route_get,
    pc.parse_version, pc.sdk_known_bad, pc.parse_package_json, pc.parse_claude_settings,
    pc.parse_python_probe_output, pc.parse_pyenv_version_file, pc.parse_npmrc_prefix,
]
ODD_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300) | st.sampled_from([
    "<dictionary> {\n  HTTPSEnable : 1\n  HTTPSPort : 99999999\n  HTTPSProxy : [::1\n", "}}}}",
    "[Proxy Settings]\nProxyType=x",
    "    X    REG_DWORD    0xZZ", "    Y    REG_BINARY    nothex", "PROXY ; ; DIRECT;", "unreachable",
    "org.gnome.system.proxy.http port 'x'",
    "org.gnome.system.proxy mode 'manual'\norg.gnome.system.proxy.http host '::'",
])


@settings(max_examples=150, deadline=None)
@given(text=ODD_TEXT)
def test_no_parser_raises_on_arbitrary_text(text: str) -> None:
    for parser in TEXT_PARSERS:
        parser(text)  # type: ignore[operator]
    pp.parse_windows_internet_settings({"ProxyEnable": text, "ProxyServer": text, "AutoDetect": text,
                                        "DefaultConnectionSettings": text.encode()})
    pp.env_proxy_for(text, {"HTTPS_PROXY": text, "NO_PROXY": text})
    pp.no_proxy_matches(text, text)
    pp.bypass_matches(text, [text, "<local>", "*"])
    pp.host_port(text, text)


def test_an_http_proxy_does_not_carry_https() -> None:
    """macOS HTTPEnable without HTTPSEnable, WinINet/WinHTTP "http=host:port", urllib: https:// goes direct.
    (Issue 15, class 1: the scan used to name the http proxy for the API URL.)"""
    api = "https://api.anthropic.com/v1/messages"
    mac = pp.parse_scutil_proxy("<dictionary> {\n  HTTPEnable : 1\n  HTTPPort : 3128\n  HTTPProxy : web.corp\n"
                                "  HTTPSEnable : 0\n}\n")
    assert mac.http == "http://web.corp:3128" and mac.https is None
    assert pp.static_proxy_for(mac, api) is None
    assert pp.static_proxy_for(mac, "http://example.com/") == "http://web.corp:3128"
    win = pp.parse_windows_internet_settings({"ProxyEnable": 1, "ProxyServer": "http=web.corp:3128"})
    assert pp.static_proxy_for(win, api) is None
    every = pp.parse_windows_internet_settings({"ProxyEnable": 1, "ProxyServer": "web.corp:3128"})
    assert pp.static_proxy_for(every, api) == "http://web.corp:3128"  # one host:port is for every protocol
    ie = pp.parse_winhttp_ie_config(False, None, "http=web.corp:3128;socks=s.corp:1080", None)
    assert pp.static_proxy_for(ie, api) == "socks4://s.corp:1080"  # the OS sends what has no proxy via SOCKS
    assert pp.static_proxy_for(ie, api, use_socks=False) is None  # urllib on macOS has no SOCKS entry


def test_gnome_uses_the_http_proxy_for_https_when_no_https_proxy_is_set() -> None:
    text = ("org.gnome.system.proxy mode 'manual'\norg.gnome.system.proxy use-same-proxy false\n"
            "org.gnome.system.proxy.http host 'web.corp'\norg.gnome.system.proxy.http port 3128\n"
            "org.gnome.system.proxy.https host ''\norg.gnome.system.proxy.https port 0\n")
    sp = pp.parse_gsettings_proxy(text)
    assert sp.https == "http://web.corp:3128"  # glib-networking's rule, not use-same-proxy's


def test_agents_added_from_vendor_docs_and_captures_say_where_their_names_come_from() -> None:
    """Issue 15, class 4: entries added from vendors' documentation or real captures carry `sources`, and the
    names those sources give are matched (the captured ones are asserted in test_real_captures.py)."""
    from importlib import resources

    from streamdoctor.platform.agents import match_adapter, match_process

    table = json.loads(resources.files("streamdoctor").joinpath("data/agents.json").read_text(encoding="utf-8"))
    sourced = {a["name"]: a for a in table["agents"] if "sources" in a}
    assert {"Juniper Network Connect", "F5 BIG-IP Edge Client / F5 Access", "Appgate SDP", "Proton VPN",
            "Wintun tunnel (WireGuard, OpenVPN, Appgate SDP, ...)", "Cybereason", "Twingate"} <= set(sourced)
    assert all(a["sources"] and all(isinstance(s, str) and s for s in a["sources"]) for a in sourced.values())
    documented = {"Appgate SDP.exe": "Appgate SDP", "ProtonVPNService.exe": "Proton VPN", "twingated": "Twingate",
                  "dsNcService.exe": "Juniper Network Connect", "CrsSvc.exe": "Cybereason"}
    assert {p: (match_process(p).name if match_process(p) else None) for p in documented} == documented
    wintun = match_adapter("Wintun Userspace Tunnel #2")  # a second Wintun adapter, under any connection name
    assert wintun is not None and wintun[0].name.startswith("Wintun tunnel")
