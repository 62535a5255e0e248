"""The experiment matrix on recorded probe data: the table, the verdicts that name the flipping variable with
both numbers, the "explained by" ordering of causes, and the small parsers (edge trace, metered flags)."""

from streamdoctor import matrix
from streamdoctor.diagnosis import diagnose
from streamdoctor.model import Overall, ProbeResult, Severity, Status
from streamdoctor.probes.matrix.edge import parse_trace, ray_site
from streamdoctor.probes.matrix.metered import parse_nmcli_metered, parse_windows_cost


def R(name, status="ok", **data):
    return ProbeResult(name, Status(status), "", data)


V4_OK = {"address": "160.79.104.10", "ok": True, "failed_step": None, "time_s": 0.05,
         "tcp": {"ok": True, "time_s": 0.012}, "tls": {"ok": True, "time_s": 0.02},
         "http": {"ok": True, "time_s": 0.018, "status": 401}}
V6_DEAD = {"address": "2607:6bc0::10", "ok": False, "failed_step": "tcp", "time_s": 5.0,
           "tcp": {"ok": False, "time_s": 5.0, "kind": "timeout", "error": "no answer"}}


def family(v4=V4_OK, v6=V6_DEAD):
    return R("matrix.family", "fail" if not (v4["ok"] and v6["ok"]) else "ok", host="api.anthropic.com", port=443,
             families={"ipv4": v4, "ipv6": v6})


def upload_cut(kind="reset", lo=144, hi=160, large_bytes=1024):
    large = {"bytes": large_bytes * 1024, "outcome": "cut", "kind": kind, "time_s": 0.3, "sent_bytes": 400_000}
    return R("matrix.upload", "fail", small={"bytes": 1024, "outcome": "passed", "time_s": 0.01, "sent_bytes": 1024},
             large=large, attempts=[{"bytes": 1024, "outcome": "passed", "time_s": 0.01, "sent_bytes": 1024}, large],
             passed_max_bytes=lo * 1024, cut_min_bytes=hi * 1024, cut_estimate_bytes=(lo + hi) * 512,
             cut_kind=kind, sent_bytes=900_000, budget_bytes=2 * 1024 * 1024)


def mtu(path_mtu=1400, kind="read-timeout"):
    return R("mtu", "fail", path_mtu=path_mtu, interface="wg0", interface_mtu=1500, method="ping" if path_mtu else
             "unknown", black_hole=True, icmp="ok" if path_mtu else "blocked",
             large_request={"large_bytes": 262144, "large": {"verdict": "error", "kind": kind, "time_s": 4.0}})


HELLO_DROPPED = R("clienthello", "fail", dropped_large=True, small={"bytes": 267, "outcome": "server_hello"},
                  large={"bytes": 1800, "outcome": "timeout", "time_s": 5.0})


def causes(verdict):
    return [(f.cause, f.severity.value, f.explained_by) for f in verdict.findings]


# --- the verdicts -----------------------------------------------------------------------------------------------


def test_broken_ipv6_is_named_with_both_numbers_and_the_client_it_hurts():
    tcp = R("tcp", host="api.anthropic.com", port=443, proxy=None, via_proxy=None,
            direct={"ok": True, "time_s": 5.01, "address": "160.79.104.10",
                    "attempts": [{"address": "2607:6bc0::10", "ok": False, "kind": "timeout", "time_s": 5.0},
                                 {"address": "160.79.104.10", "ok": True, "time_s": 0.01}]})
    v = diagnose([family(), tcp])
    f = v.findings[0]
    assert f.cause == "ipv6-broken" and f.severity is Severity.PROBLEM and f.failure_mode == 13
    assert v.overall is Overall.PROBLEM and v.headline == f.plain
    assert "TCP timeout after 5.0 s" in f.plain and "TCP 12 ms" in f.plain  # both sides, with their numbers
    ev = {e.label: e.value for e in f.evidence}
    assert "Claude Code" in ev["Applies to"] and "(5.0 s)" in ev["Applies to"]
    assert ev["Wait before falling back to IPv4 (clients that fall back)"] == 5.0
    assert "BUN_FEATURE_FLAG_DISABLE_IPV6=1" in f.plain and "NODE_OPTIONS" in f.plain


def test_both_families_working_or_both_failing_is_no_family_verdict():
    assert "ipv6-broken" not in [f.cause for f in diagnose([family(v6=dict(V4_OK, address="::1"))]).findings]
    dead4 = dict(V6_DEAD, address="160.79.104.10")
    assert not [f for f in diagnose([family(v4=dead4)]).findings if f.rule == "matrix.family"]


def test_upload_limit_is_named_in_kb_with_both_sides():
    v = diagnose([upload_cut()])
    f = v.findings[0]
    assert f.cause == "upload-cut" and f.title == "Requests above ~152 KB are cut on this network"
    assert "a 144 KB request was answered, a 160 KB one was reset" in f.plain
    assert f.confidence.value == "high" and f.failure_mode == 14
    assert "every client" in {e.label: e.value for e in f.evidence}["Applies to"]


def test_no_upload_verdict_when_the_large_request_passed():
    ok = R("matrix.upload", small={"bytes": 1024, "outcome": "passed"}, large={"bytes": 1 << 20, "outcome": "passed"})
    assert not [f for f in diagnose([ok]).findings if f.rule == "matrix.upload"]


# --- explained by ---------------------------------------------------------------------------------------------


def test_mtu_black_hole_leads_and_the_large_hello_stands_down():
    v = diagnose([mtu(path_mtu=1400), HELLO_DROPPED])
    assert causes(v)[:2] == [("mtu-black-hole", "problem", ""), ("large-clienthello", "info", "mtu-black-hole")]
    assert v.headline == v.findings[0].plain
    assert "This follows from another finding" in v.findings[1].plain


def test_hello_rule_stays_when_no_black_hole_below_its_size_was_measured():
    v = diagnose([mtu(path_mtu=None), HELLO_DROPPED])
    got = dict((c, (s, e)) for c, s, e in causes(v))
    assert got["large-clienthello"] == ("problem", "") and got["mtu-black-hole"] == ("problem", "")


def test_upload_limit_explains_the_mtu_probes_lost_large_request():
    v = diagnose([mtu(path_mtu=None, kind="reset"), upload_cut(kind="reset")])
    assert causes(v)[:2] == [("upload-cut", "problem", ""), ("mtu-black-hole", "info", "upload-cut")]


def test_measured_mtu_black_hole_explains_the_stalled_uploads():
    v = diagnose([mtu(path_mtu=1400), upload_cut(kind="stall")])
    assert causes(v)[:2] == [("mtu-black-hole", "problem", ""), ("upload-cut", "info", "mtu-black-hole")]


def test_a_cause_that_explains_another_sorts_first_among_equals():
    # mtu-black-hole (rule network.mtu) sorts after large-clienthello by name; as the cause it must lead.
    v = diagnose([HELLO_DROPPED, mtu(path_mtu=1400)])
    assert [f.cause for f in v.findings][0] == "mtu-black-hole"


# --- the table --------------------------------------------------------------------------------------------------


def test_matrix_rows_and_the_variables_that_flip():
    http = R("http", h1={"verdict": "api", "status": 401, "time_s": 0.02, "http_version": "HTTP/1.1"},
             h2={"verdict": "api", "status": 401, "time_s": 0.03, "http_version": "HTTP/2"})
    rows = matrix.build([family(), upload_cut(), HELLO_DROPPED, http])
    by = {(r.variable, r.variant.split(" ")[0]): r for r in rows}
    assert by[("address family", "IPv6")].outcome == "fail" and "5.0 s" in by[("address family", "IPv6")].number
    assert by[("address family", "IPv4")].outcome == "ok"
    assert by[("request size", "1024")].outcome == "fail" and by[("request size", "1")].outcome == "ok"
    assert by[("TLS hello", "post-quantum")].outcome == "fail"
    assert by[("HTTP version", "HTTP/2")].outcome == "ok"
    flipped = matrix.flips(rows)
    assert set(flipped) == {"address family", "request size", "TLS hello"}
    good, bad = flipped["address family"]
    assert [r.variant for r in good] == ["IPv4 160.79.104.10"] and [r.variant for r in bad] == ["IPv6 2607:6bc0::10"]
    assert matrix.to_json(rows)[0]["variable"] == "address family"


def test_skipped_probes_add_no_rows():
    assert matrix.build([R("matrix.family", "skipped", skipped="one-family")]) == []


# --- parsers ------------------------------------------------------------------------------------------------------

# The shape of Cloudflare's /cdn-cgi/trace answer (key=value lines); values invented, the address a documentation one.
TRACE = """fl=123f45
h=api.anthropic.com
ip=203.0.113.7
ts=1764550000.123
visit_scheme=https
uag=streamdoctor
colo=FRA
sliver=none
http=http/1.1
loc=DE
tls=TLSv1.3
sni=plaintext
warp=off
gateway=off
kex=X25519MLKEM768
"""


def test_trace_keeps_the_site_and_never_the_users_address():
    t = parse_trace(TRACE)
    assert t["colo"] == "FRA" and t["loc"] == "DE" and t["kex"] == "X25519MLKEM768"
    assert "ip" not in t and "203.0.113.7" not in str(t)
    assert ray_site("8f1c2d3e4a5b6c7d-AMS") == "AMS" and ray_site("") == ""


# nmcli's terse multi-line form (`-t -f GENERAL.DEVICE,GENERAL.METERED device show`, see nmcli(1)); written by
# hand from that documented format, not captured.
NMCLI = """GENERAL.DEVICE:wlp2s0
GENERAL.METERED:yes (guessed)

GENERAL.DEVICE:enp0s31f6
GENERAL.METERED:no

GENERAL.DEVICE:lo
GENERAL.METERED:unknown
"""


def test_nmcli_metered_per_device_and_any_device():
    assert parse_nmcli_metered(NMCLI, "wlp2s0") is True
    assert parse_nmcli_metered(NMCLI, "enp0s31f6") is False
    assert parse_nmcli_metered(NMCLI, "lo") is None
    assert parse_nmcli_metered(NMCLI, None) is True  # one metered device is enough to hold back
    assert parse_nmcli_metered("", None) is None


def test_windows_connection_cost_words():
    assert parse_windows_cost("Unrestricted\r\n") is False
    assert parse_windows_cost("Fixed\r\n") is True and parse_windows_cost("Variable") is True
    assert parse_windows_cost("Unknown") is None and parse_windows_cost("") is None


# --- the user's own clients ---------------------------------------------------------------------------------------


def clients(*runs):
    return R("matrix.clients", "fail" if any(r["outcome"] == "failed" for r in runs) else "ok", clients=list(runs))


CC_FAILED = {"name": "Claude Code", "version": "2.1.332", "outcome": "failed", "exit_code": 1, "time_s": 41.0,
             "error": "API Error: Unable to connect to API (ECONNRESET)", "events": 2}
CC_OK = {"name": "Claude Code", "version": "2.1.332", "outcome": "ok", "exit_code": 0, "time_s": 3.4, "events": 3}
CURL_OK = {"name": "curl", "version": None, "outcome": "ok", "exit_code": 0, "time_s": 0.6, "events": 0}


def test_the_ipv6_verdict_says_what_the_users_own_claude_code_did():
    worked = diagnose([family(), clients(CC_OK, CURL_OK)]).findings[0]
    assert worked.cause == "ipv6-broken" and worked.severity is Severity.WARNING  # their client gets past it
    applies = {e.label: e.value for e in worked.evidence}["Applies to"]
    assert applies.startswith("Claude Code 2.1.332: works here (3.4 s)") and "curl (0.6 s here)" in applies
    failed = diagnose([family(), clients(CC_FAILED, CURL_OK)])
    assert causes(failed)[:2] == [("ipv6-broken", "problem", ""), ("client-problem", "info", "ipv6-broken")]
    assert "failed after 41.0 s (exit 1: API Error: Unable to connect to API (ECONNRESET))" in failed.findings[0].plain


def test_a_client_failing_where_curl_works_is_a_client_problem():
    v = diagnose([clients(CC_FAILED, CURL_OK)])
    f = v.findings[0]
    assert f.cause == "client-problem" and f.severity is Severity.PROBLEM and f.failure_mode == 15
    assert "curl worked" in f.plain and "Claude Code 2.1.332 failed after 41.0 s" in f.plain
    assert {e.label: e.value for e in f.evidence}["Applies to"] == "Claude Code 2.1.332 only"
    rows = {r.variant: r for r in matrix.build([clients(CC_FAILED, CURL_OK)])}
    assert rows["Claude Code 2.1.332"].outcome == "fail" and rows["curl"].outcome == "ok"


def test_all_clients_failing_is_not_blamed_on_one_client():
    curl_failed = dict(CURL_OK, outcome="failed", exit_code=7, error="curl: (7) Failed to connect")
    assert "client-problem" not in [f.cause for f in diagnose([clients(CC_FAILED, curl_failed)]).findings]


def test_driver_timestamps_lines_and_keeps_exit_code_and_error_text():
    import sys

    from streamdoctor.cancel import CancelToken
    from streamdoctor.probes.matrix.drivers import run_driver

    code = "import sys,time\nprint('one', flush=True)\ntime.sleep(0.3)\nprint('two', flush=True)\n" \
           "sys.stderr.write('boom: it broke\\n')\nsys.exit(3)"
    run = run_driver([sys.executable, "-c", code], {}, 20, CancelToken())
    assert [line for _, line in run.lines] == ["one", "two"] and run.lines[1][0] > run.lines[0][0]
    assert run.exit_code == 3 and "boom: it broke" in run.stderr and not run.timed_out
    hung = run_driver([sys.executable, "-c", "import time; time.sleep(60)"], {}, 0.5, CancelToken())
    assert hung.timed_out and hung.exit_code is None
    missing = run_driver(["/nonexistent/claude"], {}, 5, CancelToken())
    assert missing.error.startswith("could not start") and missing.exit_code is None


def test_bundle_carries_the_matrix_in_json_and_html_and_the_schema_accepts_it():
    import json
    from pathlib import Path

    import jsonschema

    from streamdoctor.bundle import writer
    from streamdoctor.model import Report

    report = Report({"base_url": "https://api.anthropic.com"}, [family(), upload_cut(), HELLO_DROPPED, mtu()],
                    diagnose([family(), upload_cut(), HELLO_DROPPED, mtu()]), app_version="test")
    prepared = writer.prepare(report, with_files=True)
    doc = json.loads(prepared.members["report.json"])
    schema = json.loads((Path(writer.__file__).parents[1] / "data" / "report.schema.json").read_text())
    jsonschema.validate(doc, schema)
    cells = {(c["variable"], c["variant"].split(" ")[0]): c["outcome"] for c in doc["matrix"]}
    assert cells[("address family", "IPv6")] == "fail" and cells[("address family", "IPv4")] == "ok"
    assert any(f["explained_by"] == "mtu-black-hole" for f in doc["verdict"]["findings"])
    html = prepared.members["report.html"].decode()
    assert 'id="matrix"' in html and "flips the outcome" in html and "TCP timeout after 5.0 s" in html


def test_a_cut_stream_says_what_the_users_claude_code_did():
    cut = R("stream", "fail", outcome="reset")
    survived = {f.cause: f for f in diagnose([cut, clients(CC_OK)]).findings}["client-survives-cut"]
    assert "got its answer in 3.4 s" in survived.plain and survived.title == "Claude Code 2.1.332 got its answer anyway"
    stuck = dict(CC_FAILED, retries=8, error="still retrying after 90 s (8 retries)")
    hit = {f.cause: f for f in diagnose([cut, clients(stuck)]).findings}["client-hit-by-cut"]
    assert "It retried 8 times" in hit.plain and "after 41.0 s" in hit.plain
    assert not [f for f in diagnose([R("stream", outcome="completed"), clients(CC_OK)]).findings
                if f.cause.startswith("client-")]
