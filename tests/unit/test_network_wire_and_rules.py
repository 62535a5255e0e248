"""The hand-built ClientHellos and the network rules on recorded probe data: each finding quotes its number,
names its failure mode and fixes, and one root cause gives one finding."""

import struct

import pytest

from streamdoctor.diagnosis import diagnose
from streamdoctor.model import ProbeResult, Status
from streamdoctor.probes.tls import match_inspector
from streamdoctor.probes.tlswire import HRR_RANDOM, client_hello, parse_answer

# --- ClientHello bytes ---------------------------------------------------------------------------------------


def test_small_hello_fits_one_segment_and_large_needs_two():
    small, large = client_hello("api.anthropic.com", large=False), client_hello("api.anthropic.com", large=True)
    assert len(small) < 600
    assert 1460 < len(large) <= 1900  # more than one 1500-byte packet's payload, like a browser's PQ hello
    for record in (small, large):
        assert record[0] == 0x16 and struct.unpack("!H", record[3:5])[0] == len(record) - 5
        assert record[5] == 0x01  # handshake type ClientHello
        assert b"api.anthropic.com" in record
    assert struct.pack("!H", 0x11EC) in large and struct.pack("!H", 0x11EC) not in small


def test_hello_for_an_ip_literal_carries_no_server_name():
    assert b"127.0.0.1" not in client_hello("127.0.0.1", large=False)


def _server_hello(random: bytes, group: int) -> bytes:
    exts = struct.pack("!HHH", 43, 2, 0x0304) + struct.pack("!HHHH", 51, 4, group, 0)
    body = b"\x03\x03" + random + b"\x00" + b"\x13\x01" + b"\x00" + struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def test_parse_answer_tells_hello_retry_alert_and_not_tls_apart():
    sh = parse_answer(_server_hello(b"\x01" * 32, 0x001D))
    assert (sh.kind, sh.version, sh.group) == ("server_hello", "TLSv1.3", "x25519")
    assert parse_answer(_server_hello(HRR_RANDOM, 0x11EC)).kind == "hello_retry"
    alert = parse_answer(b"\x15\x03\x03\x00\x02\x02\x28")
    assert (alert.kind, alert.alert) == ("alert", "handshake_failure")
    http = parse_answer(b"HTTP/1.1 400 Bad Request\r\n")
    assert http.kind == "not_tls" and http.first_bytes.startswith("HTTP/1.1 400")
    assert parse_answer(b"\x16\x03") is None  # wait for more bytes
    assert parse_answer(_server_hello(b"\x01" * 32, 0x1D)[:20]) is None


def test_inspector_table_names_the_common_products():
    assert match_inspector("CN=Zscaler Intermediate Root CA,O=Zscaler Inc.")["name"] == "Zscaler"
    assert match_inspector("O=Netskope Inc,CN=caadmin.netskope.com")["name"] == "Netskope"
    assert "Fortinet" in match_inspector("CN=FortiGate CA,O=Fortinet")["name"]
    assert "Cloudflare" in match_inspector("CN=Gateway CA - Cloudflare Managed G1")["name"]
    assert match_inspector("CN=Let's Encrypt R11,O=Let's Encrypt") is None
    assert match_inspector("CN=WE1,O=Google Trust Services") is None


# --- rules ---------------------------------------------------------------------------------------------------


def R(name, status="ok", **data):
    return ProbeResult(name, Status(status), "", data)


def CLEAN(**over):
    results = {
        "dns": R("dns", host="api.anthropic.com", addresses=["160.79.104.10"], error=None, proxied=False),
        "tcp": R("tcp", host="api.anthropic.com", port=443, proxy=None,
                 direct={"ok": True, "time_s": 0.02, "address": "160.79.104.10"}, via_proxy=None),
        "tls": R("tls", host="api.anthropic.com", inspected=False, untrusted=False, hostname_match=True,
                 verify_mozilla=True, verify_os=True, issuer="CN=WE1,O=Google Trust Services"),
        "clienthello": R("clienthello", dropped_large=False, small={"bytes": 267, "outcome": "server_hello"},
                         large={"bytes": 1800, "outcome": "server_hello"}),
        "http": R("http", url="https://api.anthropic.com/v1/models", reached_api=True, proxy=None,
                  h1={"verdict": "api", "status": 401}, middlebox_headers={"server": "cloudflare"}),
        "mtu": R("mtu", path_mtu=1500, interface="eth0", interface_mtu=1500, method="socket", black_hole=False,
                 large_request={"large_bytes": 262144, "large": {"verdict": "api"}}),
    }
    results.update(over)
    return list(results.values())


def findings(results):
    return [f for f in diagnose(results).findings if f.rule.startswith("network.")]


def test_clean_network_gives_no_finding():
    assert findings(CLEAN()) == []


def test_dns_failure_is_one_finding_not_five():
    out = findings(CLEAN(
        dns=R("dns", "fail", host="api.anthropic.com", error="api.anthropic.com could not be resolved: [Errno -2]",
              error_kind="dns", time_s=0.03, proxied=False),
        tcp=R("tcp", "fail", host="api.anthropic.com", port=443, proxy=None,
              direct={"ok": False, "kind": "dns", "error": "could not be resolved"}),
        tls=R("tls", "error", host="api.anthropic.com", error="x", error_kind="dns"),
        http=R("http", "fail", reached_api=False, h1={"verdict": "error", "kind": "dns"}),
    ))
    assert [f.cause for f in out] == ["dns-failure"]
    assert out[0].failure_mode == 11 and "api.anthropic.com" in out[0].plain


def test_dns_failure_behind_a_proxy_is_only_information():
    out = findings(CLEAN(dns=R("dns", "warn", host="api.anthropic.com", error="no", time_s=0.1, proxied=True)))
    assert [(f.cause, f.severity.value) for f in out] == [("dns-local-only", "info")]


@pytest.mark.parametrize(("schemes", "creds", "words"), [
    (["Basic realm=\"corp\""], False, "HTTPS_PROXY=http://USER:PASSWORD@"),
    (["NTLM", "Negotiate"], False, "CNTLM"),
    (["Basic realm=\"corp\""], True, "rejected the user name and password"),
])
def test_proxy_407_is_explained(schemes, creds, words):
    via = {"ok": False, "kind": "proxy-auth", "error": "the proxy requires authentication (407)",
           "auth_schemes": [s.split()[0] for s in schemes], "credentials_sent": creds,
           "reply": {"status": 407, "reason": "Proxy Authentication Required",
                     "headers": [["Proxy-Authenticate", s] for s in schemes], "body_start": ""}}
    out = findings(CLEAN(tcp=R("tcp", "fail", host="api.anthropic.com", port=443, proxy="http://proxy:3128",
                               direct={"ok": False}, via_proxy=via)))
    assert [f.cause for f in out] == ["proxy-auth"]
    assert words in out[0].plain and "407" in out[0].plain
    assert out[0].fix_ids == ["claude-code-proxy", "env-proxy"] and out[0].failure_mode == 7


def test_system_proxy_the_clients_ignore_is_failure_mode_6():
    out = findings(CLEAN(
        tcp=R("tcp", "fail", host="api.anthropic.com", port=443, proxy=None,
              direct={"ok": False, "kind": "timeout", "error": "no answer (timed out)", "time_s": 5.0}),
        **{"env.proxy": R("env.proxy", system={"proxy": "http://proxy.corp:8080", "source": "PAC"})},
    ))
    assert [f.cause for f in out] == ["proxy-not-used"]
    assert "http://proxy.corp:8080" in out[0].plain and out[0].failure_mode == 6


def test_tls_inspection_names_the_inspector():
    out = findings(CLEAN(tls=R(
        "tls", "warn", host="api.anthropic.com", inspected=True, inspector="Zscaler", verify_mozilla=False,
        verify_os=True, hostname_match=True, issuer="CN=Zscaler Intermediate Root CA,O=Zscaler Inc.",
        root_subject="CN=Zscaler Root CA", root_pem="-----BEGIN CERTIFICATE-----...")))
    assert [f.cause for f in out] == ["tls-inspection"]
    f = out[0]
    assert "Zscaler" in f.title and "Zscaler Intermediate Root CA" in f.plain
    assert f.fix_ids == ["claude-code-ca", "env-ca"] and f.failure_mode == 5


def test_large_clienthello_drop_quotes_both_sizes():
    out = findings(CLEAN(clienthello=R("clienthello", "fail", dropped_large=True,
                                       small={"bytes": 267, "outcome": "server_hello"},
                                       large={"bytes": 1800, "outcome": "timeout", "time_s": 5.0})))
    assert [f.cause for f in out] == ["large-clienthello"]
    assert "267" in out[0].plain and "1800" in out[0].plain and out[0].failure_mode == 8


def test_mtu_black_hole_quotes_the_measured_mtu():
    out = findings(CLEAN(mtu=R("mtu", "fail", path_mtu=1400, interface="wg0", interface_mtu=1500, method="ping",
                               black_hole=True, icmp="ok",
                               large_request={"large_bytes": 262144,
                                              "large": {"verdict": "error", "kind": "read-timeout", "time_s": 10}})))
    assert [f.cause for f in out] == ["mtu-black-hole"]
    assert "1400" in out[0].plain and "1500" in out[0].plain and out[0].fix_ids == ["mtu"]
    assert out[0].failure_mode == 4


def test_mtu_black_hole_with_icmp_blocked_says_unknown():
    out = findings(CLEAN(mtu=R("mtu", "fail", path_mtu=None, interface="eth0", interface_mtu=1500,
                               method="unknown", black_hole=True, icmp="blocked",
                               large_request={"large_bytes": 262144, "large": {"verdict": "error",
                                                                               "kind": "write-timeout"}})))
    assert [f.cause for f in out] == ["mtu-black-hole"]
    assert "not known" in out[0].plain and "blocks ping" in out[0].plain


def test_captive_portal_redirect():
    out = findings(CLEAN(http=R("http", "fail", url="http://api.lab.test/v1/models", reached_api=False, proxy=None,
                                h1={"verdict": "redirect", "status": 302,
                                    "location": "http://portal.lab.test/login?continue=/v1/models"}),
                         dns=R("dns", host="api.lab.test", addresses=["10.0.0.1"], error=None, proxied=False)))
    assert [f.cause for f in out] == ["captive-portal"]
    assert "302" in out[0].plain and "portal.lab.test" in out[0].plain and out[0].failure_mode == 11


def test_via_header_is_information_only():
    out = findings(CLEAN(http=R("http", reached_api=True, url="u", h1={"verdict": "api"},
                                middlebox_headers={"Via": "1.1 netlab-squid (squid/5.7)"})))
    assert [(f.cause, f.severity.value) for f in out] == [("proxy-on-path", "info")]
    assert "squid" in out[0].plain
