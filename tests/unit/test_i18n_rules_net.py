"""The network and environment findings, the explanations and the verdict headline in other languages.

Every scenario below makes the rules in streamdoctor.rules.network and .environment speak; the tests then check
(a) in the pseudo-language that every text a user reads went through the catalogs (a Msg in ⟦ ⟧) and that every
plain string inside one is data from the probes, never an English phrase the code wrote, (b) that German and
Japanese read as translated, with numbers written the language's way, and (c) that a report made in German can be
said again in English for IT, word for word what English would have said.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streamdoctor import i18n
from streamdoctor.diagnosis import DEFAULT_API_HOST, _name_the_tested_host, diagnose
from streamdoctor.i18n import Msg, relocalize, using
from streamdoctor.i18n.pseudo import CLOSE, OPEN
from streamdoctor.model import Finding, Overall, ProbeResult, Status
from streamdoctor.platform.parse_clients import SDK_KNOWN_BAD
from streamdoctor.rules import environment, network
from support.repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
Results = dict[str, ProbeResult]
RuleFn = Callable[[Results], Finding | list[Finding] | None]

RULES: list[RuleFn] = [
    network.dns_failure, network.proxy_problem, network.no_connection, network.tls_inspection,
    network.captive_portal, network.api_not_reached, network.client_setting_unsupported, network.plain_http,
    network.middlebox_headers, network.large_clienthello, network.mtu_black_hole,
    environment.proxy_mismatch, environment.vpn_tunnel, environment.vpn_notes, environment.sdk_version,
    environment.tls_agent, environment.claude_settings, environment.claude_socks, environment.pac_unreadable,
    environment.route_mtu,
]
# Placeholder values that another area of the code words (claude_advice.trust_advice): its own marking, not ours.
OTHER_AREAS_PARAMS = {"advice"}


def R(probe: str, status: str = "ok", **data: Any) -> ProbeResult:
    return ProbeResult(probe, Status(status), "", data=data)


def via(kind: str, **more: Any) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "error": "the proxy said no", **more}


def tcp_via(v: dict[str, Any]) -> ProbeResult:
    return R("tcp", "fail", host="api.anthropic.com", port=443, proxy="http://proxy.corp:3128", direct={"ok": False},
             via_proxy=v)


def env_proxy(pac: bool = True, python: str | None = None, claude: str | None = None) -> ProbeResult:
    return R("env.proxy", system={"proxy": "http://a.corp:8080", "source": "PAC file",
                                  "pac_url": "http://pac.corp/p.pac" if pac else None, "pac_result": "PROXY a:1"},
             clients={"python-sdk": {"proxy": python, "source": "none set"},
                      "claude-code": {"proxy": claude, "source": "none set"}}, env={})


def clients(installed: bool = True, **more: Any) -> ProbeResult:
    return R("env.clients", claude_code={"installed": installed, "settings": more.pop("settings", [])},
             python_sdks=more.pop("python_sdks", []), node_sdk={})


def vpn(**more: Any) -> ProbeResult:
    return R("env.vpn", **{"api_via_tunnel": True, "tunnel_interface": "cscotun0", "tunnel_mode": "full",
                           "default_via_tunnel": True, "tunnels_up": ["cscotun0"],
                           "agents": [{"name": "Cisco AnyConnect", "kind": "vpn", "interfaces": ["cscotun0"],
                                       "evidence": "vpnagentd"}], **more})


def mtu(black_hole: bool | None, path_mtu: int | None, icmp: str = "ok") -> ProbeResult:
    return R("mtu", "fail", path_mtu=path_mtu, interface="wg0", interface_mtu=1500, method="ping",
             black_hole=black_hole, icmp=icmp,
             large_request={"large_bytes": 262144, "large": {"kind": "read-timeout", "time_s": 0.4}})


TLS_INSPECTED = {"host": "api.anthropic.com", "inspected": True, "inspector": "Zscaler", "inspector_kind": "zscaler",
                 "verify_mozilla": False, "hostname_match": True, "issuer": "CN=Zscaler Intermediate Root CA",
                 "root_subject": "CN=Zscaler Root CA", "leaf_subject": "CN=api.anthropic.com"}

SCENARIOS: dict[str, Results] = {
    "dns-local": {"dns": R("dns", "warn", host="api.anthropic.com", error="no such name", time_s=0.4,
                           proxied=True)},
    "dns-timeout": {"dns": R("dns", "fail", host="api.anthropic.com", error="timed out", error_kind="dns-timeout",
                             time_s=5.0)},
    "dns-failed": {"dns": R("dns", "fail", host="api.anthropic.com", error="no such name", error_kind="dns",
                            time_s=0.4)},
    "proxy-creds": {"tcp": tcp_via(via("proxy-auth", auth_schemes=["Basic"], credentials_sent=True))},
    "proxy-basic": {"tcp": tcp_via(via("proxy-auth", auth_schemes=["Basic"]))},
    "proxy-ntlm": {"tcp": tcp_via(via("proxy-auth", auth_schemes=[]))},
    "proxy-socks": {"tcp": tcp_via(via("proxy-unsupported"))},
    "proxy-unreachable": {"tcp": tcp_via(via("proxy-unreachable"))},
    "proxy-squid": {"tcp": tcp_via(via("proxy-denied", reply={
        "status": 403, "reason": "Forbidden", "headers": [["X-Squid-Error", "ERR_ACCESS_DENIED 0"]],
        "body_start": "<h1>Access Denied</h1>"}))},
    "proxy-error": {"tcp": tcp_via(via("proxy-error", reply={}))},
    "tcp-system-proxy": {"tcp": R("tcp", "fail", host="api.anthropic.com", port=443, proxy=None,
                                  direct={"ok": False, "kind": "timeout", "error": "timed out", "time_s": 0.4}),
                         "env.proxy": R("env.proxy", system={"proxy": "http://proxy.corp:8080"})},
    "tcp-blocked": {"tcp": R("tcp", "fail", host="api.anthropic.com", port=443, proxy=None,
                             direct={"ok": False, "kind": "refused", "error": "refused", "time_s": 0.4})},
    "tls-cut": {"tls": R("tls", "fail", host="api.anthropic.com", error="reset by peer", error_kind="reset")},
    "tls-inspected-trusted": {"tls": R("tls", "warn", verify_os=True, **TLS_INSPECTED)},
    "tls-inspected-untrusted": {"tls": R("tls", "warn", verify_os=False, **TLS_INSPECTED)},
    "tls-wrong-name": {"tls": R("tls", "fail", host="api.anthropic.com", hostname_match=False,
                                leaf_names=["gateway.corp"], issuer="CN=Corp"),
                       "http": R("http", reached_api=True)},
    "tls-untrusted": {"tls": R("tls", "fail", host="api.anthropic.com", untrusted=True, issuer="CN=Odd CA")},
    "portal-redirect": {"http": R("http", "fail", url="https://api.anthropic.com/v1/models", reached_api=False,
                                  h1={"verdict": "redirect", "status": 302, "location": "http://login.hotel/x"})},
    "portal-certificate": {"tls": R("tls", "fail", host="api.anthropic.com", hostname_match=False,
                                    leaf_names=["login.hotel"], issuer="CN=Hotel"),
                           "http": R("http", "fail", reached_api=False, h1={"verdict": "html"}),
                           "dns": R("dns", host="api.anthropic.com", private_answer=True, addresses=["10.1.1.1"])},
    "http-407": {"http": R("http", "fail", reached_api=False, proxy="http://proxy.corp:3128",
                           h1={"verdict": "proxy-auth"})},
    "http-html": {"http": R("http", "fail", url="https://api.anthropic.com/v1/models", reached_api=False,
                            proxy="http://proxy.corp:3128",
                            h1={"verdict": "html", "status": 200, "content_type": None})},
    "http-error": {"http": R("http", "fail", url="https://api.anthropic.com/v1/models", reached_api=False,
                             h1={"verdict": "error", "kind": "read-timeout", "error": "timed out"})},
    "client-socks": {"http": R("http", "error", proxy="socks5://s.corp:1080",
                               h1={"kind": "client-unsupported", "error": "socksio missing"})},
    "plain-http": {"tls": R("tls", plain_http=True)},
    "plain-http-consented": {"tls": R("tls", plain_http=True, consented=True)},
    "middlebox": {"http": R("http", reached_api=True, middlebox_headers={"Via": "1.1 squid"})},
    "clienthello": {"clienthello": R("clienthello", "fail", dropped_large=True,
                                     small={"bytes": 267, "outcome": "server_hello"},
                                     large={"bytes": 1800, "outcome": "timeout", "time_s": 0.4})},
    "mtu-high": {"mtu": mtu(True, 1400)},
    "mtu-ping-blocked": {"mtu": mtu(True, None, icmp="blocked")},
    "mtu-no-limit": {"mtu": mtu(True, 1500)},
    "mtu-unmeasured": {"mtu": mtu(True, None)},
    "mtu-smaller": {"mtu": mtu(False, 1400)},
    "mismatch-pac-both": {"env.proxy": env_proxy(), "env.clients": clients()},
    "mismatch-system-claude": {"env.proxy": env_proxy(pac=False, python="http://a.corp:8080"),
                               "env.clients": clients(),
                               "tcp": R("tcp", direct={"ok": False})},
    "mismatch-python-works": {"env.proxy": env_proxy(), "env.clients": clients(installed=False),
                              "stream": R("stream", outcome="completed")},
    "vpn-full": {"env.vpn": vpn(tunnel_mtu=1390)},
    "vpn-split-unknown": {"env.vpn": vpn(default_via_tunnel=False, agents=[], tunnel_mode=None)},
    "vpn-mtu": {"env.vpn": vpn(tunnel_mtu=1500), "mtu": mtu(True, 1300)},
    "vpn-mtu-unknown": {"env.vpn": vpn(tunnel_mtu=1400), "mtu": mtu(True, None)},
    "vpn-notes": {"env.vpn": R("env.vpn", notes=["tun0 is up but carries no route"], tunnels_up=[])},
    "sdk": {"env.clients": clients(python_sdks=[{"version": "0.50.0", "python": "/usr/bin/python3",
                                                 "known_bad": "ignores HTTPS_PROXY (versions 0.47 to 0.53); "
                                                              "its TCP keepalive options do not work (fixed in "
                                                              "0.71.1)"}])},
    "sdk-unknown-problem": {"env.clients": clients(python_sdks=[{"version": "0.9.0", "python": "/usr/bin/python3",
                                                                 "known_bad": "breaks keepalive"}])},
    "agent-inspects": {"env.vpn": R("env.vpn", agents=[{"name": "Zscaler Client Connector",
                                                        "kind": "tls-inspection", "evidence": "ZSATray"}]),
                       "tls": R("tls", inspected=True, issuer="Zscaler Root CA")},
    "agent-present": {"env.vpn": R("env.vpn", agents=[{"name": "Netskope", "may_inspect_tls": True,
                                                       "kind": "casb"}])},
    "settings": {"env.clients": clients(settings=[{"path": "/home/u/.claude/settings.json",
                                                   "error": "Expecting value: line 1"}])},
    "claude-socks": {"env.proxy": R("env.proxy", clients={"claude-code": {"proxy": "socks5://s.corp:1080",
                                                                          "source": "HTTPS_PROXY"}})},
    "pac-unreadable": {"env.proxy": R("env.proxy", system={"pac_url": "http://pac.corp/p.pac",
                                                           "error": "SyntaxError"})},
    "route-mtu": {"env.interfaces": R("env.interfaces", route={"mtu": 1400, "interface": "eth0"})},
}
# Every finding of this area: a scenario change that stops one from firing fails test_every_finding_is_covered.
CAUSES = {
    "dns-local-only", "dns-failure", "proxy-auth", "proxy-socks", "proxy-unreachable", "proxy-denied",
    "proxy-error", "proxy-not-used", "no-connection", "tls-cut", "tls-inspection", "tls-wrong-name",
    "tls-untrusted", "captive-portal", "api-not-reached", "client-setting-unsupported", "plain-http",
    "proxy-on-path", "large-clienthello", "mtu-black-hole", "mtu-smaller", "vpn-full-tunnel", "vpn-tunnel",
    "vpn-mtu", "tunnel-oddity", "sdk-known-bad", "tls-inspection-agent", "tls-inspection-agent-present",
    "settings-unreadable", "socks-proxy", "pac-unreadable", "small-interface-mtu",
}


def findings(results: Results) -> list[Finding]:
    out: list[Finding] = []
    for fn in RULES:
        got = fn(results)
        out += [got] if isinstance(got, Finding) else (got or [])
    return out


def all_findings() -> Iterator[tuple[str, Finding]]:
    for name, results in SCENARIOS.items():
        for f in findings(results):
            yield name, f


def data_words(results: Results) -> set[str]:
    # The probes' data, the API host (a placeholder value for IT's advice), protocol and product names are not words to
    # translate; anything else in a plain string is English the code wrote.
    dump = json.dumps({k: r.data for k, r in results.items()}) + " " + DEFAULT_API_HOST
    return set(re.findall(r"[A-Za-z]{3,}", dump)) | {"HTTP", "Python"}  # a protocol and a product name


def check_marked(text: Any, allowed: set[str], where: str, param: str = "") -> None:
    """A Msg must be in ⟦ ⟧ (it passed the catalogs); a plain string must be only words of the probes' data."""
    if isinstance(text, Msg):
        assert text.startswith(OPEN) and text.endswith(CLOSE), f"{where}: not through the catalogs: {text!r}"
        for key, value in text.params.items():
            if key not in OTHER_AREAS_PARAMS:
                check_marked(value, allowed, where, key)
    elif isinstance(text, str) and text:
        english = [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in allowed]
        assert not english, f"{where}: {param or 'text'} {text!r} has words the code wrote: {english}"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs() -> None:
    """The compiled catalogs carry this area's texts (bootstrap compiles them; a fresh checkout may not have)."""
    build = load_script("packaging/build_translations.py")
    if build.main(["--check"]) != 0:
        assert build.main([]) == 0
        i18n._catalogs.clear()  # a language read before the build is read again


def test_every_finding_is_covered() -> None:
    assert {f.cause for _, f in all_findings()} == CAUSES


def test_every_text_goes_through_the_catalogs() -> None:
    with using("qps-ploc"):
        seen = 0
        for name, results in SCENARIOS.items():
            allowed = data_words(results)
            for f in findings(results):
                where = f"{name}/{f.cause}"
                texts = [f.title, f.plain] + ([f.ask_it] if f.ask_it else [])
                for e in f.evidence:
                    texts += [e.label, e.unit, e.raw] + ([e.value] if isinstance(e.value, str) else [])
                for t in texts:
                    check_marked(t, allowed, where)
                # A VPN note is the env.vpn probe's own sentence (data here; the probe words it).
                assert isinstance(f.title, Msg) and (isinstance(f.plain, Msg) or f.cause == "tunnel-oddity"), where
                seen += 1
    assert seen >= len(CAUSES)


def test_explanation_and_headlines_go_through_the_catalogs() -> None:
    explained = [mtu(True, 1400), R("clienthello", "fail", dropped_large=True, small={"bytes": 267, "outcome": "ok"},
                                    large={"bytes": 1800, "outcome": "timeout", "time_s": 0.4})]
    with using("qps-ploc"):
        v = diagnose(explained)
        hello = next(f for f in v.findings if f.cause == "large-clienthello")
        assert hello.explained_by == "mtu-black-hole"
        check_marked(hello.plain, data_words({r.probe: r for r in explained}), "explained")
        assert isinstance(hello.plain, Msg) and isinstance(hello.plain.params["why"], Msg)
        untested = diagnose([ProbeResult("tcp", Status.ERROR, "")])
        nothing = diagnose([])
    assert v.overall is Overall.PROBLEM and untested.overall is nothing.overall is Overall.UNTESTED
    for headline in (v.headline, untested.headline, nothing.headline):
        check_marked(headline, set(), "headline")


def test_german_and_japanese_read_translated_with_their_numbers() -> None:
    results = SCENARIOS["dns-failed"]
    with using("de"):
        (de,) = findings(results)
        (de_mtu,) = findings(SCENARIOS["mtu-high"])
    with using("ja"):
        (ja,) = findings(results)
    assert de.title == "Der Name der API lässt sich nicht auflösen"
    assert "schlug nach 0,4 s fehl" in de.plain and "api.anthropic.com" in de.plain
    assert [e.label for e in de.evidence] == ["Gesuchter Name", "Antwort des DNS-Servers", "Zeit bis zur Antwort"]
    assert "keine Antwort (read-timeout) nach 0,4 s" in [e.value for e in de_mtu.evidence]
    assert ja.title == "API の名前を解決できません"
    assert "0.4 秒後に失敗しました" in ja.plain and "DNS 照会が失敗します" in ja.ask_it


def test_german_explanation_and_headline() -> None:
    with using("de"):
        v = diagnose([mtu(True, 1400), R("clienthello", "fail", dropped_large=True,
                                         small={"bytes": 267, "outcome": "ok"},
                                         large={"bytes": 1800, "outcome": "timeout", "time_s": 0.4})])
        healthy = diagnose([ProbeResult("dns", Status.OK, "", data={"host": "api.anthropic.com"})])
    hello = next(f for f in v.findings if f.cause == "large-clienthello")
    assert hello.plain.startswith("Ein TLS-Hello mit 267 Byte")
    assert "Dies folgt aus einem anderen Befund (Große Pakete gehen verloren): das erste Paket des großen Hellos" \
        in hello.plain
    assert v.headline.startswith("Pakete über 1400 Byte kommen nie an")
    assert healthy.overall is Overall.HEALTHY
    assert healthy.headline == ("Kein Problem in den ausgeführten Prüfungen gefunden (keine gestreamte Antwort "
                                "wurde getestet).")


def test_every_known_sdk_problem_has_its_words() -> None:
    assert {why for _lo, _hi, why in SDK_KNOWN_BAD} == set(environment.SDK_PROBLEM_WORDS)
    with using("de"):
        (f,) = findings(SCENARIOS["sdk"])
    assert "es ignoriert HTTPS_PROXY (Versionen 0.47 bis 0.53); seine TCP-Keepalive-Optionen" in f.plain


def test_relocalized_to_english_is_what_english_says() -> None:
    for name, results in SCENARIOS.items():
        with using("en"):
            english = findings(results)
        with using("de"):
            german = findings(results)
        assert relocalize(german, "en") == english, name
        if german:
            assert german[0].title != english[0].title or name in ("vpn-notes",), name  # it was German
    with using("ja"):
        v = diagnose([ProbeResult("tcp", Status.ERROR, "probe failed")])
    assert relocalize(v, "en").headline == "Could not test everything: probe failed"


def test_a_gateway_is_named_in_advice_and_stays_resayable() -> None:
    gateway = "https://llm-gw.corp.example:8443"
    with using("de"):
        v = diagnose([env_proxy(), clients()], target_url=gateway)
    (f,) = [f for f in v.findings if f.cause == "proxy-not-used"]
    assert isinstance(f.ask_it, Msg) and DEFAULT_API_HOST not in f.ask_it
    assert "llm-gw.corp.example:8443" in f.ask_it and "Unsere Proxy-Konfiguration" in f.ask_it
    english = relocalize(f, "en").ask_it
    assert english.startswith("Our proxy configuration") and "to llm-gw.corp.example:8443." in english
    # A host written into a msgid itself (another area's text) is still rewritten, as plain text.
    literal = _name_the_tested_host(i18n._("Please allow api.anthropic.com:443."), gateway)
    assert literal == "Please allow llm-gw.corp.example:8443."
    assert _name_the_tested_host(f.ask_it, "https://api.anthropic.com") is f.ask_it
