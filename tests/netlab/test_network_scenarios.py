"""The network probes against real gear: routers with a 1400-byte link, a squid that bumps TLS or wants a
login, a dead resolver, a captive portal. Each test runs the product (`check --quick --json`) in the client
namespace and asserts the finding and the measured number."""

from __future__ import annotations

import json

from cryptography import x509

import netlab


def result(report: dict, probe: str) -> dict:
    return next(r for r in report["results"] if r["probe"] == probe)


def causes(report: dict) -> list[str]:
    # The scenarios' APIs are plain HTTP by construction (run with --allow-plain-http): that note is not the cause.
    return [f["cause"] for f in report["verdict"]["findings"]
            if f["rule"].startswith("network.") and f["cause"] != "plain-http"]


def finding(report: dict, cause: str) -> dict:
    return next(f for f in report["verdict"]["findings"] if f["cause"] == cause)


def test_path_mtu_is_measured_exactly_when_routers_report_it(netlab_mtu):
    sc = netlab_mtu(blackhole=False)
    proc, report = sc.check(["--quick"])
    mtu = result(report, "mtu")["data"]
    assert mtu["path_mtu"] == 1400 and mtu["interface_mtu"] == 1500
    assert mtu["socket"]["learned"] == 1400  # the kernel learned it from the router's "frag needed"
    assert mtu["ping"]["largest_reply"] == 1400 and mtu["ping"]["smallest_fail"] == 1401
    assert mtu["black_hole"] is False and mtu["large_request"]["large"]["status"] == 401
    assert causes(report) == ["mtu-smaller"] and "1400" in finding(report, "mtu-smaller")["plain"]
    assert proc.returncode == 0  # information only: the path works


def test_mtu_black_hole_is_found_and_measured(netlab_mtu):
    sc = netlab_mtu(blackhole=True)
    proc, report = sc.check(["--quick"])
    mtu = result(report, "mtu")["data"]
    assert sc.icmp_drops() > 0  # the routers really swallowed "fragmentation needed"
    assert mtu["black_hole"] is True
    assert mtu["large_request"]["small"]["status"] == 401 and mtu["large_request"]["large"].get("status") is None
    assert mtu["large_request"]["large"]["kind"] == "stall"  # it stopped taking bytes: stuck, not slow
    assert mtu["socket"]["learned"] is None  # no router told the kernel anything
    assert mtu["path_mtu"] == 1400 and mtu["method"] == "ping"  # echo still passes: the DF search measures it
    assert proc.returncode == 1
    f = finding(report, "mtu-black-hole")
    assert causes(report)[0] == "mtu-black-hole" and f["fix_ids"] == ["mtu"] and f["failure_mode"] == 4
    assert "1400" in f["plain"] and "1500" in f["plain"]

    # Now the network drops every ICMP packet, echo included: the size is unknown, never "small".
    for router in sc.routers:
        netlab.sh("ip", "netns", "exec", router, "iptables", "-w", "-I", "FORWARD", "-p", "icmp", "-j", "DROP")
    sc.flush_route_caches()
    proc, report = sc.check(["--quick"])
    mtu = result(report, "mtu")["data"]
    assert mtu["path_mtu"] is None and mtu["method"] == "unknown" and mtu["icmp"] == "blocked"
    assert mtu["black_hole"] is True and proc.returncode == 1
    f = finding(report, "mtu-black-hole")
    assert "not known" in f["plain"] and "blocks ping" in f["plain"] and f["confidence"] == "medium"


def test_squid_bump_is_named_as_the_inspector(netlab_squid):
    sc = netlab_squid(mode="bump")
    # SSL_CERT_FILE stands in for the OS store where IT installed the bump CA; --ca-file is the genuine root.
    proc, report = sc.check(["--quick", "--ca-file", str(sc.origin_ca_pem)],
                            env={"HTTPS_PROXY": sc.proxy_url, "SSL_CERT_FILE": str(sc.ca_pem)})
    tls = result(report, "tls")["data"]
    assert tls["inspected"] is True and tls["inspector"] == "Squid (ssl_bump)"
    assert tls["issuer"] == "CN=NetLab Squid Bump CA"
    assert (tls["verify_mozilla"], tls["verify_os"], tls["verify_ca_file"]) == (False, True, False)
    kept = x509.load_pem_x509_certificate(tls["root_pem"].encode())
    assert kept == x509.load_pem_x509_certificate(sc.ca_pem.read_bytes())  # the root for the CA fixes
    assert tls["root_pem"].encode() == sc.ca_pem.read_bytes()  # byte for byte what the bump CA file holds
    assert proc.returncode == 1 and causes(report)[0] == "tls-inspection"
    f = finding(report, "tls-inspection")
    assert "NetLab Squid Bump CA" in f["plain"] and f["fix_ids"] == ["claude-code-ca", "env-ca"]
    http = result(report, "http")["data"]
    assert http["reached_api"] and "squid" in http["middlebox_headers"].get("via", "")


def test_squid_tunnel_is_not_inspection(netlab_squid):
    sc = netlab_squid(mode="tunnel")
    proc, report = sc.check(["--quick", "--ca-file", str(sc.ca_pem)], env={"HTTPS_PROXY": sc.proxy_url})
    tls = result(report, "tls")["data"]
    assert tls["inspected"] is False and tls["verify_ca_file"] is True and tls["issuer"] == "CN=NetLab Origin CA"
    assert result(report, "tcp")["data"]["via_proxy"]["ok"] is True
    assert proc.returncode == 0, report["verdict"]


def test_squid_407_is_explained_and_the_login_in_the_url_works(netlab_squid):
    sc = netlab_squid(mode="auth")
    proc, report = sc.check(["--quick", "--ca-file", str(sc.ca_pem)], env={"HTTPS_PROXY": sc.proxy_url})
    assert proc.returncode == 1 and causes(report)[0] == "proxy-auth"
    f = finding(report, "proxy-auth")
    assert "407" in f["plain"] and "Basic" in f["plain"] and "USER:PASSWORD@" in f["plain"]
    assert f["failure_mode"] == 7 and f["fix_ids"] == ["claude-code-proxy", "env-proxy"]

    proc, report = sc.check(["--quick", "--ca-file", str(sc.ca_pem)],
                            env={"HTTPS_PROXY": sc.proxy_url_with_credentials})
    assert result(report, "tcp")["data"]["via_proxy"]["ok"] is True
    assert result(report, "http")["data"]["reached_api"] is True
    mine = [result(report, p) for p in ("dns", "tcp", "tls", "clienthello", "http", "mtu")]
    assert "labpass" not in json.dumps(mine)  # the network probes never put the proxy password in the report
    assert proc.returncode == 0, report["verdict"]


def test_dns_failure(netlab_dns_failure):
    sc = netlab_dns_failure(mode="refused")
    proc, report = sc.check(["--quick"])
    assert proc.returncode == 1 and causes(report) == ["dns-failure"]
    assert "api.lab.test" in finding(report, "dns-failure")["plain"]
    assert result(report, "dns")["data"]["error_kind"] == "dns"


def test_captive_portal(netlab_captive_portal):
    sc = netlab_captive_portal()
    proc, report = sc.check(["--quick"])
    assert proc.returncode == 1 and causes(report) == ["captive-portal"]
    f = finding(report, "captive-portal")
    assert "302" in f["plain"] and "portal.lab.test/login" in f["plain"] and f["failure_mode"] == 11


def test_clean_tls_api_by_name_has_no_network_finding(netlab_tls_api):
    sc = netlab_tls_api()
    proc, report = sc.check(["--quick", "--ca-file", str(sc.ca_pem)])
    assert causes(report) == [] and proc.returncode == 0, report["verdict"]
    tls = result(report, "tls")["data"]
    assert tls["hostname_match"] and tls["verify_ca_file"] and tls["leaf_subject"] == "CN=api.lab.test"
    assert result(report, "clienthello")["data"]["large"]["outcome"] == "server_hello"
    assert result(report, "mtu")["data"]["path_mtu"] == 1500
