"""The idle verdict: the number, the ending, where the cut most likely is (from the environment scan), whether
keepalive helps, each client's limits; the API's own ~400 s close is normal; the healthy path says nothing."""

from __future__ import annotations

import pytest

from streamdoctor.diagnosis import diagnose
from streamdoctor.model import Overall, ProbeResult, Severity, Status


def idle(cut: float | None, ending: str | None, proxy: str | None = None, inflight: dict | None = None,
         ) -> ProbeResult:
    lo, hi = (None, None) if cut is None else (cut * 0.95, cut * 1.05)
    data = {"cut_s": cut, "uncertainty_s": None if cut is None else cut * 0.05, "bracket": [lo, hi],
            "ending": ending, "direct": False, "connections": [], "max_tested_s": 420.0, "longest_alive_s": lo or 420,
            "proxy": proxy, "inflight": inflight}
    return ProbeResult("idle", Status.FAIL if cut else Status.OK, "", data)


def scan(agents: object = (), claude_env: dict | None = None) -> list[ProbeResult]:
    out = [ProbeResult("env.vpn", Status.OK, "", {"agents": list(agents) if isinstance(agents, tuple) else agents})]
    if claude_env is not None:
        out.append(ProbeResult("env.clients", Status.OK, "", {"claude_code": {"installed": True, "env": claude_env}}))
    return out


def findings(*results: ProbeResult) -> dict:
    return {f.cause: f for f in diagnose(list(results)).findings}


def test_reset_behind_a_vpn_names_it_and_says_the_sdk_keepalive_is_too_late():
    f = findings(idle(30.0, "reset"), *scan(({"name": "GlobalProtect", "kind": "vpn", "evidence": "PanGPS"},)))
    cut = f["idle-reset"]
    assert cut.severity is Severity.PROBLEM and cut.failure_mode == 1
    assert "after 30 s (±1.5 s) with a reset; the API itself allows about 400 s" in cut.plain
    assert "GlobalProtect" in cut.plain and "too late" in cut.plain
    assert "sdk-snippet" in cut.fix_ids and "600 s" in cut.ask_it


def test_a_long_reset_cut_is_covered_by_the_sdk_keepalive():
    cut = findings(idle(120.0, "reset"), *scan())["idle-reset"]
    assert "keeps its connections alive" in cut.plain


def test_tls_close_from_an_inspecting_proxy_keepalive_does_not_help():
    agents = ({"name": "Zscaler", "kind": "tls-inspection", "evidence": "ZSATunnel"},)
    cut = findings(idle(60.0, "tls_close", proxy="http://proxy.corp:8080"), *scan(agents))["idle-close"]
    assert cut.failure_mode == 2
    assert "Zscaler" in cut.plain and "keepalive will not help" in cut.plain
    assert "exempt the host from TLS inspection" in cut.ask_it


def test_a_drop_quotes_claude_codes_own_watchdog():
    f = findings(idle(45.0, "drop"), *scan(claude_env={"CLAUDE_STREAM_IDLE_TIMEOUT_MS": "90000"}))
    cut = f["idle-drop"]
    assert "CLAUDE_STREAM_IDLE_TIMEOUT_MS=90 s" in cut.plain
    assert "claude-code-timeouts" in cut.fix_ids


def test_a_drop_quotes_the_watchdog_as_the_installed_version_applies_it():
    """2.1.197 raises CLAUDE_STREAM_IDLE_TIMEOUT_MS below 5 min to 5 min and has no first-byte variable."""
    results = scan(claude_env={"CLAUDE_STREAM_IDLE_TIMEOUT_MS": "90000",
                               "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS": "20000"})
    for r in results:
        if r.probe == "env.clients":
            r.data["claude_code"]["version"] = "2.1.197"
    plain = findings(idle(45.0, "drop"), *results)["idle-drop"].plain
    assert "CLAUDE_STREAM_IDLE_TIMEOUT_MS=300 s" in plain and "FIRST_BYTE" not in plain


def test_the_api_edge_close_after_400_s_is_normal():
    verdict = diagnose([idle(400.0, "fin")])
    assert verdict.overall is Overall.HEALTHY
    edge = {f.cause: f for f in verdict.findings}["idle-api-edge"]
    assert edge.severity is Severity.INFO and edge.failure_mode == 10


def test_healthy_path_gives_no_finding_and_odd_scan_data_is_tolerated():
    assert findings(idle(None, None), ProbeResult("env.vpn", Status.OK, "", {"agents": "garbage"})) == {}
    cut = findings(idle(20.0, "reset"), ProbeResult("env.vpn", Status.ERROR, "", {}),
                   ProbeResult("env.clients", Status.OK, "", {"claude_code": "?"}))["idle-reset"]
    assert "a firewall or NAT router" in cut.plain


def test_a_gateway_read_timeout_on_a_silent_request():
    inflight = {"state": "alive", "http_status": 504, "idle_s": 60.0, "early": True, "hold_s": 420.0}
    f = findings(idle(None, None, inflight=inflight))
    gw = f["proxy-read-timeout"]
    assert "answers HTTP 504 after 60 s" in gw.plain and gw.fix_ids == ["nginx-streaming"]
    assert gw.failure_mode == 3


@pytest.mark.parametrize("with_idle", [True, False])
def test_the_stream_finding_defers_to_the_measured_cut(with_idle):
    stream = ProbeResult("stream", Status.FAIL, "", {
        "outcome": "reset", "silence_before_end_s": 29.5, "total_s": 31.0, "bytes": 900, "exception_chain": [],
        "sdk_retry": {"retried": False, "sdk_version": "2.13.0", "streams_started": 1, "error": "ReadError: x"}})
    results = [stream, idle(30.0, "reset")] if with_idle else [stream]
    f = findings(*results)
    assert "sdk-no-resume" in f
    if with_idle:
        assert "idle-reset" in f and f["idle-reset"].rule == "idle.cut"
        assert any(e.label == "A real streamed answer also ended" for e in f["idle-reset"].evidence)
        assert [x.rule for x in f.values()].count("stream.cut") == 0
    else:
        assert f["idle-reset"].rule == "stream.cut"
