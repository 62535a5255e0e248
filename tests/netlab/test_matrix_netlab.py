"""The experiment matrix against real gear: a dual-stack path with IPv6 black-holed at the router, a box that
resets flows after N KB uploaded, the clean dual-stack path, and the MTU black hole over TLS (cause ordering).

Each verdict must name the variable that flips the outcome with the numbers on both sides; the clean path
must get none of them.
"""

from __future__ import annotations

import pytest

import netlab

pytestmark = pytest.mark.netlab

UPLOAD_LIMIT_KB = 150
# The bisection ends within 16 KB (1 MiB / 2^6) when its budget lets it, and netfilter counts IP and TCP
# headers (~3.5 % at MSS 1448) plus the request head: the estimate must land within 32 KB of the limit.
UPLOAD_TOLERANCE_KB = 32


def _quick(sc: netlab.Scenario, *extra: str) -> tuple[int, dict]:
    proc, report = sc.check(["--quick", *netlab.check_args(), *extra], timeout=180)
    return proc.returncode, report


def test_ipv6_black_hole_is_named_with_both_numbers(netlab_dual_stack) -> None:
    sc = netlab_dual_stack(v6_blackhole=True)
    code, report = _quick(sc)
    found = netlab.findings(report)
    assert "ipv6-broken" in found, report["verdict"]
    f = found["ipv6-broken"]
    assert report["verdict"]["findings"][0]["cause"] == "ipv6-broken"
    assert report["verdict"]["headline"] == f["plain"] and code == 1
    family = netlab.probe_result(report, "matrix.family")["data"]["families"]
    v4, v6 = family["ipv4"], family["ipv6"]
    assert v4["ok"] and not v6["ok"] and v6["failed_step"] == "tcp" and v6["tcp"]["kind"] == "timeout"
    ev = {e["label"]: str(e["value"]) for e in f["evidence"]}
    v6_line = next(v for k, v in ev.items() if k.startswith("IPv6"))
    v4_line = next(v for k, v in ev.items() if k.startswith("IPv4"))
    assert "TCP timeout after" in v6_line and "HTTP" in v4_line and "ms" in v4_line
    assert "Claude Code" in ev["Applies to"] and "BUN_FEATURE_FLAG_DISABLE_IPV6" in f["plain"]
    # The TCP probe's summary no longer hides the IPv6 attempt that timed out before IPv4 connected.
    tcp = netlab.probe_result(report, "tcp")
    assert "failed first" in tcp["summary"] and sc.info["server_ip6"] in tcp["summary"], tcp["summary"]
    netlab.record("dual-stack IPv6 black hole: IPv6", v6_line)
    netlab.record("dual-stack IPv6 black hole: IPv4", v4_line)
    netlab.record("dual-stack IPv6 black hole: TCP probe", tcp["summary"])


def test_clean_dual_stack_gets_no_matrix_verdict(netlab_dual_stack) -> None:
    sc = netlab_dual_stack(v6_blackhole=False)
    code, report = _quick(sc)
    found = netlab.findings(report)
    assert not {"ipv6-broken", "ipv4-broken", "upload-cut"} & set(found), report["verdict"]
    family = netlab.probe_result(report, "matrix.family")
    assert family["status"] == "ok", family["summary"]
    upload = netlab.probe_result(report, "matrix.upload")
    assert upload["status"] == "ok" and upload["data"]["large"]["outcome"] == "passed", upload["summary"]
    assert upload["data"]["sent_bytes"] <= 2 * 1024 * 1024
    assert code == 0, report["verdict"]
    netlab.record("clean dual stack: family", family["summary"])
    netlab.record("clean dual stack: upload", f"{upload['summary']}; uploaded {upload['data']['sent_bytes']} B")


def test_upload_cut_box_gets_requests_above_n_kb(netlab_upload_cut) -> None:
    sc = netlab_upload_cut(limit_kb=UPLOAD_LIMIT_KB)
    code, report = _quick(sc)
    found = netlab.findings(report)
    assert "upload-cut" in found, report["verdict"]
    f = found["upload-cut"]
    d = netlab.probe_result(report, "matrix.upload")["data"]
    n_kb = d["cut_estimate_bytes"] / 1024
    netlab.record("upload cut", f"configured {UPLOAD_LIMIT_KB} KB, measured ~{n_kb:.0f} KB "
                  f"({d['passed_max_bytes'] // 1024} KB passed, {d['cut_min_bytes'] // 1024} KB cut, "
                  f"{len(d['attempts'])} requests, {d['sent_bytes'] // 1024} KB handed to the socket; "
                  f"large request: {d['large'].get('kind')}: {d['large'].get('error')})")
    assert abs(n_kb - UPLOAD_LIMIT_KB) <= UPLOAD_TOLERANCE_KB, (n_kb, d["attempts"])
    assert d["passed_max_bytes"] < UPLOAD_LIMIT_KB * 1024 <= d["cut_min_bytes"] + UPLOAD_TOLERANCE_KB * 1024
    assert f"Requests above ~{int(n_kb)} KB are cut" in f["plain"]
    # A reset while uploading reaches httpx as a reset or as "server disconnected": either is a cut, not a stall.
    assert d["cut_kind"] in ("reset", "closed") and f["confidence"] == "high", d["large"]
    assert d["sent_bytes"] <= d["budget_bytes"]
    # The cause leads: the MTU probe's 256 KB request died at the same box and is explained by the upload limit.
    assert report["verdict"]["findings"][0]["cause"] == "upload-cut" and code == 1
    mtu = found.get("mtu-black-hole")
    assert mtu is None or (mtu["explained_by"] == "upload-cut" and mtu["severity"] == "info"), mtu


def test_mtu_black_hole_leads_and_clienthello_stands_down(netlab_mtu_tls) -> None:
    sc = netlab_mtu_tls(blackhole=True)
    code, report = _quick(sc, "--ca-file", str(sc.ca_pem))
    found = netlab.findings(report)
    assert report["verdict"]["findings"][0]["cause"] == "mtu-black-hole", report["verdict"]
    ch = netlab.probe_result(report, "clienthello")
    assert ch["data"]["dropped_large"], ch["summary"]  # the real black hole also kills the large hello
    hello = found["large-clienthello"]
    assert hello["explained_by"] == "mtu-black-hole" and hello["severity"] == "info"
    upload = found.get("upload-cut")  # the 1 MiB upload stalls in the same black hole
    assert upload is None or (upload["explained_by"] == "mtu-black-hole" and upload["severity"] == "info"), upload
    assert code == 1
    netlab.record("MTU black hole over TLS: order", [f["cause"] for f in report["verdict"]["findings"]])


def _claude_env(sc: netlab.Scenario, version: str) -> dict[str, str]:
    """PATH with a real Claude Code from npm first, and a private HOME/config folder for it."""
    import os

    from support.claude_sandbox import QUIET_ENV
    from support.npm_clients import CLAUDE_CODE_PACKAGE, NpmInstallError, install_npm_package

    try:
        bin_dir = install_npm_package(f"{CLAUDE_CODE_PACKAGE}@{version}") / "node_modules" / ".bin"
    except NpmInstallError as exc:
        pytest.skip(f"Claude Code {version} could not be installed: {exc}")
    home = sc.workdir / "claude-home"
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    return {"PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(home),
            "CLAUDE_CONFIG_DIR": str(home / ".claude"), **QUIET_ENV}


@pytest.mark.claude_code
@pytest.mark.parametrize("version", ["2.1.100", "2.1.197", "2.1.332"])  # support.npm_clients.CLAUDE_CODE_TESTED
def test_real_claude_code_in_the_matrix_on_the_ipv6_black_hole(netlab_dual_stack, version: str) -> None:
    sc = netlab_dual_stack(v6_blackhole=True)
    env = _claude_env(sc, version)
    proc, report = sc.check(["--quick", "--user-clients", "--probe-option", "clients_timeout_s=60",
                             *netlab.check_args()], timeout=240, env=env)
    clients = netlab.probe_result(report, "matrix.clients")["data"]["clients"]
    cc = next(c for c in clients if c["name"] == "Claude Code")
    assert cc["outcome"] in ("ok", "failed") and cc["version"] == version, cc
    assert cc["events"] >= 1 or cc["error"], cc  # its own events with arrival times, or its own error text
    netlab.record(f"Claude Code {version} on the IPv6 black hole", f"{cc['outcome']}, exit {cc['exit_code']}, "
                  f"{cc['time_s']:.1f} s, {cc['events']} events, retries {cc.get('retries')}, "
                  f"error {cc.get('error', '')[:200]!r}")
    curl = next(c for c in clients if c["name"] == "curl")
    netlab.record("curl on the IPv6 black hole", f"{curl['outcome']}, exit {curl['exit_code']}, "
                  f"{curl['time_s']:.1f} s, HTTP {curl.get('http_status')}")
    rows = [r for r in report.get("matrix", []) if r["variable"] == "client"]
    assert any(r["variant"] == f"Claude Code {version}" for r in rows), report.get("matrix")
    # The verdict says what the user's own client did here, not only what others reported.
    f = netlab.findings(report)["ipv6-broken"]
    applies = next(e["value"] for e in f["evidence"] if e["label"] == "Applies to")
    assert f"Claude Code {version}: {'works' if cc['outcome'] == 'ok' else 'fails'} here" in applies, applies
    netlab.record(f"IPv6 verdict with Claude Code {version}", f"{f['severity']}: {applies}")


@pytest.mark.claude_code
def test_real_claude_code_on_a_midstream_cut_is_reported_as_it_behaves(netlab_session: None) -> None:
    from support.claude_sandbox import loopback_lab
    from support.npm_clients import CLAUDE_CODE_NEWEST

    with loopback_lab(profile="midstream-reset") as sc:
        env = _claude_env(sc, CLAUDE_CODE_NEWEST)
        proc, report = sc.check(["--user-clients", "--probe-option", "clients_timeout_s=90",
                                 *netlab.check_args()], timeout=300, env=env)
    stream = netlab.probe_result(report, "stream")["data"]
    assert stream["outcome"] in ("reset", "closed"), stream["outcome"]
    cc = next(c for c in netlab.probe_result(report, "matrix.clients")["data"]["clients"]
              if c["name"] == "Claude Code")
    found = netlab.findings(report)
    cause = "client-survives-cut" if cc["outcome"] == "ok" else "client-hit-by-cut"
    assert cause in found, (cc, list(found))
    f = found[cause]
    assert f"Claude Code {CLAUDE_CODE_NEWEST}" in f["title"] and f"{cc['time_s']:.1f} s" in f["plain"]
    netlab.record("Claude Code on a mid-stream reset", f"{cc['outcome']}, exit {cc['exit_code']}, "
                  f"{cc['time_s']:.1f} s, events {cc['events']}, retries {cc.get('retries')}, "
                  f"error {cc.get('error', '')[:200]!r}; verdict: {f['title']}")
