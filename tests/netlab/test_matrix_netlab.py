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
    assert code == 1
    netlab.record("MTU black hole over TLS: order", [f["cause"] for f in report["verdict"]["findings"]])
