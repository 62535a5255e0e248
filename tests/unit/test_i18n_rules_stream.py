"""The stream, idle, matrix, watch, who-cut and Claude Code rules (and the advice they quote) in other languages:
every text a user reads goes through the catalogs (the pseudo-language shows any that does not), German and
Japanese read as translated with their own number formats, and a report made in German says the same in English
for IT.

The rules are called directly (not through diagnose()), so what is checked is exactly what these rules write."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from streamdoctor import claude_versions as cv
from streamdoctor import i18n, matrix
from streamdoctor.claude_advice import (
    ClaudeCodeHere,
    first_byte_variable,
    proxy_url_problems,
    settings_flags,
    trust_advice,
)
from streamdoctor.diagnosis import registered_rules
from streamdoctor.model import Evidence, Finding, ProbeResult, Status
from streamdoctor.probes.path.attribute import attribute_resets, locate
from streamdoctor.probes.path.hoptrace import Step

MY_RULES = ("stream.", "idle.", "matrix.", "watch.", "path.whocut", "clients.claude-code")
WHOCUT = Path(__file__).resolve().parents[1] / "fixtures" / "whocut"
OPEN, CLOSE = "⟦", "⟧"


def R(name: str, status: str = "fail", **data: Any) -> ProbeResult:
    return ProbeResult(name, Status(status), "", data)


def stream(outcome: str, **extra: Any) -> ProbeResult:
    data = {"outcome": outcome, "silence_before_end_s": 31.4, "total_s": 40.2, "bytes": 20480,
            "time_to_first_byte_s": 0.8, "largest_burst_share": 0.1, "text_events": 40, "time_to_last_byte_s": 39.0,
            "exception_chain": ["httpx.RemoteProtocolError: peer closed connection"], "request_id": "req_01"}
    return R("stream", **{**data, **extra})


def idle(ending: str, cut: float = 2.9, **extra: Any) -> ProbeResult:
    return R("idle", cut_s=cut, ending=ending, uncertainty_s=0.2, bracket=[2.5, 3.1],
             connections=[{"hold_s": 2.5, "state": "alive", "idle_s": 2.5}, {"hold_s": 3.1, "state": ending}],
             **extra)


CC_FAILED = {"name": "Claude Code", "version": "2.1.332", "outcome": "failed", "exit_code": 1, "time_s": 41.0,
             "error": "API Error: Unable to connect to API (ECONNRESET)", "events": 2, "retries": 3}
CC_OK = {"name": "Claude Code", "version": "2.1.332", "outcome": "ok", "exit_code": 0, "time_s": 3.4, "events": 3}
CURL_OK = {"name": "curl", "version": None, "outcome": "ok", "exit_code": 0, "time_s": 0.6, "events": 0}
V4_OK = {"address": "160.79.104.10", "ok": True, "failed_step": None, "time_s": 0.05,
         "tcp": {"ok": True, "time_s": 0.012}, "tls": {"ok": True, "time_s": 0.02},
         "http": {"ok": True, "time_s": 0.018, "status": 401}}
V6_DEAD = {"address": "2607:6bc0::10", "ok": False, "failed_step": "tcp", "time_s": 5.0,
           "tcp": {"ok": False, "time_s": 5.0, "kind": "timeout", "error": "no answer"}}


def family(v4: dict[str, Any] = V4_OK, v6: dict[str, Any] = V6_DEAD) -> ProbeResult:
    return R("matrix.family", host="api.anthropic.com", port=443, families={"ipv4": v4, "ipv6": v6})


def upload(kind: str) -> ProbeResult:
    large = {"bytes": 1024 * 1024, "outcome": "cut", "kind": kind, "time_s": 0.3, "sent_bytes": 400_000}
    small = {"bytes": 1024, "outcome": "passed", "time_s": 0.01, "sent_bytes": 1024}
    return R("matrix.upload", small=small, large=large, attempts=[small, large], passed_max_bytes=144 * 1024,
             cut_min_bytes=160 * 1024, cut_estimate_bytes=152 * 1024, cut_kind=kind, sent_bytes=900_000)


def clients(*runs: dict[str, Any]) -> ProbeResult:
    return R("matrix.clients", clients=list(runs))


def claude(version: str, env: dict[str, str], origin: dict[str, str] | None = None) -> ProbeResult:
    return R("env.clients", "ok", claude_code={"installed": True, "version": version, "env": env,
                                               "env_origin": origin or {}})


def watch(**analysis: Any) -> ProbeResult:
    base = {"observed_s": 14400, "cuts": 6, "outages": 1, "endings": {"reset": 5, "drop": 1}, "correlations": [],
            "rechecks": {}}
    return R("watch", analysis={**base, **analysis})


def whocut(mode: str, capture: bool = True) -> list[ProbeResult]:
    fx = json.loads((WHOCUT / f"{mode}.json").read_text())

    def steps(kind: str) -> list[Step]:
        return [Step(**s) for s in fx["traces"][kind]]

    w = locate(steps("udp"), steps("syn"), steps("data"))
    data: dict[str, Any] = {"trace": w, "payload": "tls-hello", "port": 443}
    if capture:
        recs = [(ts, i, bytes.fromhex(h), n) for ts, i, h, n in fx["capture_records"]]
        cap = attribute_resets(tcp_packets(recs), fx["server"], fx["port"], w["server_hops"])
        data["capture"] = {"ok": True, **cap}
        data["capture_tests"] = {"resets": cap.get("resets") or [], "connections": 4}
        data["capture_idle"] = {"resets": cap.get("resets") or []}
    data["idle_trace"] = {"hold_s": 4.7, "steps": fx["traces"]["data"], "placed": w}
    return [R("path.whocut", "warn", **data), idle("reset", 3.0)]


def tcp_packets(recs: list[Any]) -> Any:
    from streamdoctor.capture.session import tcp_packets as packets

    return packets(recs)


# Each scenario is one network's probe results; together they make every finding of these rules at least once.
SCENARIOS: dict[str, list[ProbeResult]] = {
    "idle-reset-stream": [stream("reset", sdk_retry={"retried": False, "sdk_version": "2.14.0", "streams_started": 1,
                                                     "error": "RemoteProtocolError: incomplete chunked read"})],
    "idle-close-stream": [stream("closed", compare={"direct": {"outcome": "completed", "total_s": 12.5}})],
    "midstream-reset": [stream("reset", silence_before_end_s=0.2)],
    "midstream-close": [stream("closed", silence_before_end_s=0.2)],
    "stall": [stream("stalled")],
    "keepalive-only": [stream("keepalive_only", keepalive_only_s=90.0)],
    "bad-data": [stream("bad_data", bad_data="<html>Access denied</html>")],
    "buffering": [stream("completed", largest_burst_share=0.95, time_to_first_byte_s=4.9, time_to_last_byte_s=5.0)],
    "first-byte-timeout": [stream("first_byte_timeout", limits={"first_byte_timeout_s": 60.0})],
    "slow-first-byte": [stream("completed", time_to_first_byte_s=20.5),
                        claude("2.1.250", {"CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS": "25000"})],
    "slow-first-byte-unknown": [stream("completed", time_to_first_byte_s=20.5)],
    "429": [stream("http_error", http_status=429, api_error={"retry_after": "30"})],
    "529": [stream("http_error", http_status=529, api_error={})],
    "500": [stream("http_error", http_status=500)],
    "sse-error": [stream("sse_error", sse_error={"type": "overloaded_error", "message": "Overloaded"})],
    "idle-reset": [idle("reset"), stream("reset")],
    "idle-fin-proxy": [idle("fin", 290.0, proxy="http://proxy.corp:3128")],
    "idle-tls-inspector": [idle("tls_close", 60.0),
                           R("env.vpn", "ok", agents=[{"name": "Zscaler", "kind": "tls-inspection"}])],
    "idle-drop-vpn": [idle("drop", 120.0), R("env.vpn", "ok", agents=[{"name": "GlobalProtect", "kind": "vpn"}]),
                      claude("2.1.250", {"API_TIMEOUT_MS": "90000", "CLAUDE_STREAM_IDLE_TIMEOUT_MS": "400000"})],
    "idle-short-watchdog": [idle("reset", 700.0), claude("2.1.250", {"API_TIMEOUT_MS": "300000"})],
    "inflight-504": [R("idle", cut_s=None, inflight={"early": True, "idle_s": 60.0, "state": "alive",
                                                    "http_status": 504})],
    "inflight-reset": [R("idle", cut_s=None, inflight={"early": True, "idle_s": 60.0, "state": "reset"})],
    "ipv6-broken-cc-fails": [family(), clients(CC_FAILED, CURL_OK),
                             R("tcp", direct={"attempts": [{"ok": False, "time_s": 5.0}, {"ok": True}]})],
    "ipv6-broken-cc-ok": [family(), clients(CC_OK, CURL_OK)],
    "ipv6-broken-no-cc": [family()],
    "ipv4-broken": [family(v4=dict(V6_DEAD, address="160.79.104.10"), v6=dict(V4_OK, address="2607:6bc0::10"))],
    "upload-reset": [upload("reset")],
    "upload-closed": [upload("closed")],
    "upload-stall": [upload("stall")],
    "upload-other": [upload("read-error")],
    "cc-survives-cut": [stream("reset"), clients(CC_OK)],
    "cc-hit-by-cut": [stream("reset"), clients(CC_FAILED)],
    "cc-settings": [claude("2.1.197", {
        "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS": "30000", "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS": "8000",
        "API_TIMEOUT_MS": "600000", "CLAUDE_STREAM_IDLE_TIMEOUT_MS": "lots", "NODE_OPTIONS": "--max-old-space-size=1",
        "HTTPS_PROXY": "https://DOM%5Cbob:@proxy.corp:8080", "HTTP_PROXY": "socks5://proxy.corp:1080"},
        {"HTTPS_PROXY": "managed settings /etc/claude-code/managed-settings.json"})],
    "cc-logs": [R("claude.logs", "ok", lines=[{"file": "debug/1.txt", "line": "Stream stalled for 45.2s"}],
                  stalls_s=[45.2, 12.0], fallbacks=2, codes=["ECONNRESET", "529"], user_errors=["x"])],
    "watch-correlations": [watch(
        correlations=[{"id": "vpn", "value": "GlobalProtect", "count": 6, "total": 6, "exposure": 0.4},
                      {"id": "network", "value": "Wi-Fi Office", "count": 5, "total": 6, "exposure": 0.5},
                      {"id": "after_wake", "value": "wake", "count": 4, "total": 6, "exposure": 0.1},
                      {"id": "after_change", "value": "change", "count": 4, "total": 6, "exposure": 0.1},
                      {"id": "family", "value": "ipv6", "count": 6, "total": 6, "exposure": None}],
        rechecks={"sticky": 2, "fine": 1, "broken": 1, "family:ipv6": 1}, last_recheck={"verdict": "sticky"})],
    "watch-cuts": [watch(rechecks={"broken": 1}, last_recheck={"verdict": "broken"})],
    "watch-family": [watch(rechecks={"family:ipv6": 1}, last_recheck={"verdict": "family:ipv6"})],
    "watch-quiet": [watch(cuts=0, outages=0, endings={})],
    "whocut-router": whocut("router-reset"),
    "whocut-router-trace-only": whocut("router-reset", capture=False),
    "whocut-client": whocut("client-reset"),
    "whocut-server": whocut("server-reset"),
    "whocut-intercept": whocut("intercept"),
}


def run_my_rules(results: list[ProbeResult]) -> list[Finding]:
    by_name = {r.probe: r for r in results}
    out: list[Finding] = []
    for rule_id, fn in registered_rules().items():
        if rule_id.startswith(MY_RULES):
            found = fn(by_name)
            out += [found] if isinstance(found, Finding) else (found or [])
    return out


def all_findings(lang: str) -> dict[str, list[Finding]]:
    with i18n.using(lang):
        return {name: run_my_rules(results) for name, results in SCENARIOS.items()}


def data_strings(results: list[ProbeResult]) -> set[str]:
    """Every string the probes measured (names, addresses, error texts): shown as they came, never translated."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.add(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)

    for r in results:
        walk(r.data)
    return out


# Labels and values that are a product and its version as the scan found them ("Claude Code 2.1.332"): not words.
PRODUCT = re.compile(r"^(Claude Code|curl)( \d+\.\d+\.\d+)?$")


def marked(text: str) -> bool:
    return text.startswith(OPEN) and text.endswith(CLOSE)


@pytest.fixture(scope="module", autouse=True)
def _catalogs() -> None:
    missing = {"de", "ja"} - set(i18n.available())
    if missing:
        pytest.fail(f"no compiled catalog for {sorted(missing)}: run packaging/build_translations.py")


def test_every_scenario_makes_a_finding_of_these_rules() -> None:
    """The scenarios below must really reach the rules, or the language tests would pass on nothing."""
    found = all_findings("en")
    assert not [name for name, fs in found.items() if not fs]
    causes = {f.cause for fs in found.values() for f in fs}
    assert {"idle-reset", "idle-close", "idle-drop", "midstream-reset", "midstream-close", "silent-stall",
            "keepalive-only", "not-messages-api", "buffering", "first-byte-timeout", "slow-first-byte",
            "rate-limited", "overloaded", "http-error", "sse-error", "sdk-no-resume", "proxy-cuts-stream",
            "proxy-read-timeout", "ipv6-broken", "ipv4-broken", "client-problem", "client-survives-cut",
            "client-hit-by-cut", "upload-cut", "claude-code-settings-ineffective", "claude-code-known-bugs",
            "claude-code-logged-errors", "watch-vpn", "watch-network", "watch-after_wake", "watch-after_change",
            "watch-family", "watch-cuts", "watch-quiet", "sticky-after-change", "broken-after-change",
            "family-after-change", "reset-by-middlebox", "reset-by-laptop", "reset-by-server", "intercepted",
            "idle-reset-placed", "test-resets-placed"} <= causes


def test_pseudo_language_marks_every_text_a_user_reads() -> None:
    """Qps-ploc brackets every text that went through the catalogs; a text that comes out plain was not marked
    (unless it is data the probes measured: an address, an error message, a product's name and version)."""
    found = all_findings(i18n.PSEUDO)
    unmarked: list[str] = []
    for name, findings in found.items():
        data = data_strings(SCENARIOS[name])
        for f in findings:
            for what, text in (("title", f.title), ("plain", f.plain), ("ask_it", f.ask_it)):
                if text and not marked(text):
                    unmarked.append(f"{name} {f.cause} {what}: {text[:80]}")
            for e in f.evidence:
                if not marked(e.label) and not PRODUCT.match(e.label):
                    unmarked.append(f"{name} {f.cause} evidence label: {e.label}")
                if isinstance(e.value, str) and e.value and not marked(e.value) and e.value not in data \
                        and not PRODUCT.match(e.value) and e.value != "?":
                    unmarked.append(f"{name} {f.cause} evidence value of {e.label[:30]}: {e.value[:80]}")
                if e.unit and e.unit not in ("s", "B", "KB", "h", "%") and not marked(e.unit):
                    unmarked.append(f"{name} {f.cause} unit: {e.unit}")
    assert not unmarked, "\n".join(unmarked)


def test_pseudo_language_marks_the_advice_and_the_matrix_table() -> None:
    cc = ClaudeCodeHere(True, "2.1.197", {"HTTPS_PROXY": "socks5://p:1080"}, {})
    with i18n.using(i18n.PSEUDO):
        texts = [trust_advice(cc), trust_advice(None), first_byte_variable(None),
                 cv.effective_ms("CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", (2, 1, 250), 1000)[1],
                 *proxy_url_problems("HTTPS_PROXY", "https://bob:@p:1"), *(t for _, t in settings_flags(cc)),
                 ClaudeCodeHere(True, None).label]
        rows = matrix.build([family(), upload("reset"), clients(CC_OK, CURL_OK), stream("reset"),
                             R("clienthello", small={"bytes": 267, "outcome": "server_hello", "time_s": 0.01},
                               large={"bytes": 1800, "outcome": "timeout", "time_s": 5.0}),
                             R("http", h1={"verdict": "api", "status": 401, "time_s": 0.02},
                               h2={"verdict": "error", "kind": "reset", "time_s": 0.1, "http_version": "HTTP/1.1"}),
                             R("tcp", proxy="http://p:3128", via_proxy={"ok": False, "kind": "timeout", "time_s": 5},
                               direct={"ok": True, "time_s": 0.01})])
    assert len(texts) == 8 and all(marked(t) for t in texts), texts
    assert {r.variable for r in rows} >= {"⟦åddréšš fåmîĺý····⟧", "⟦réqüéšt šîžé····⟧"}
    assert all(marked(r.variable) for r in rows)
    # the number column is words with numbers, except the stream's own outcome word, which is the probe's
    assert all(marked(r.number) for r in rows if r.probe != "stream")


def by_cause(findings: dict[str, list[Finding]], scenario: str, cause: str) -> Finding:
    return next(f for f in findings[scenario] if f.cause == cause)


def test_german_and_japanese_read_translated_with_their_own_numbers() -> None:
    de, ja = all_findings("de"), all_findings("ja")
    cut_de, cut_ja = by_cause(de, "idle-reset-stream", "idle-reset"), by_cause(ja, "idle-reset-stream", "idle-reset")
    assert cut_de.title == "Stille Verbindungen werden zurückgesetzt"
    assert "Ihr Netzwerk trennt Verbindungen, die etwa 31 s lang still sind" in cut_de.plain
    assert "nach 31,4 s ohne ein Byte" in cut_de.plain  # the German decimal comma
    assert "api.anthropic.com:443" in cut_de.ask_it and "Leerlauf-Timeout" in cut_de.ask_it
    assert "ご利用のネットワーク" in cut_ja.plain and "31.4 秒" in cut_ja.plain
    idle_de = by_cause(de, "idle-reset", "idle-reset")
    assert "nach 2,9 s (±0,2 s) mit einem Reset" in idle_de.plain
    assert "Stille, nach der Verbindungen abbrechen" in [e.label for e in idle_de.evidence]
    # plurals: one hop and one request are singular, several are plural
    assert "1 Hop vom Laptop entfernt" in by_cause(de, "whocut-router", "reset-by-middlebox").plain
    assert "stellte es 1 Anfrage" in by_cause(de, "idle-reset-stream", "sdk-no-resume").plain
    assert "6 von 6 Abbrüchen geschahen mit GlobalProtect." == by_cause(de, "watch-correlations", "watch-vpn").plain
    # Japanese joins sentences without a space and lists with 、
    stall = by_cause(ja, "midstream-reset", "midstream-reset").plain
    assert "。経路上" in stall
    with i18n.using("de"):
        rows = matrix.build([family()])
    assert {r.variable for r in rows} == {"Adressfamilie"}
    assert any(r.number == "TCP timeout nach 5,0 s" for r in rows)


def test_a_german_report_says_the_same_in_english_for_it() -> None:
    en, de = all_findings("en"), all_findings("de")
    assert en != de  # the German really is German
    for name in SCENARIOS:
        assert i18n.relocalize(de[name], "en") == en[name], name
    ja = all_findings("ja")
    assert i18n.relocalize(ja["whocut-router"], "en") == en["whocut-router"]
    with i18n.using("de"):
        rows = matrix.build([family(), upload("closed")])
    with i18n.using("en"):
        english = matrix.build([family(), upload("closed")])
    assert i18n.relocalize(rows, "en") == english and rows != english


def test_evidence_numbers_stay_numbers() -> None:
    """Numbers alone in the evidence are left as numbers, so whoever shows them writes them the language's way."""
    de = all_findings("de")
    ev = {e.label: e for e in by_cause(de, "idle-reset", "idle-reset").evidence}
    dies = "Stille, nach der Verbindungen abbrechen"
    assert ev[dies] == Evidence(dies, 2.9, "s")
    assert isinstance(ev["Längste überstandene Stille"].value, float)


@pytest.mark.parametrize("scenario", ["idle-reset", "whocut-router", "stall", "upload-reset", "midstream-reset"])
def test_a_gateway_is_named_for_it_and_stays_resayable(scenario: str) -> None:
    """Requests to IT name the tested gateway with its own port, and a German one still says itself in English
    (the API host is a placeholder value that diagnose() rewrites, not words inside the msgid)."""
    from streamdoctor.diagnosis import DEFAULT_API_HOST, diagnose

    gateway = "https://llm-gw.corp.example:8443"
    results = SCENARIOS[scenario]
    with i18n.using("de"):
        verdict = diagnose(results, target_url=gateway)
    asks = [f.ask_it for f in verdict.findings if f.ask_it and "llm-gw.corp.example" in f.ask_it]
    assert asks, [f.ask_it for f in verdict.findings]
    for ask in asks:
        assert isinstance(ask, i18n.Msg) and DEFAULT_API_HOST not in ask
        english = ask.in_language("en")
        assert "llm-gw.corp.example" in english and DEFAULT_API_HOST not in english
        assert english != ask  # really said again, in English
    with_port = [a for a in asks if "{api_port}" in a.msgid or "{api_port}" in str(a.params)]
    assert all("llm-gw.corp.example:8443" in a for a in with_port)  # the gateway's own port, not 443
