"""Scenario 6: no usable name resolution (DNS failure) and a captive portal answering in the API's place."""

from __future__ import annotations

import pytest

import netlab

pytestmark = pytest.mark.netlab

RESOLVE = "import socket, sys; print(socket.getaddrinfo(sys.argv[1], 80)[0][4][0])"


@pytest.mark.parametrize("mode", ["refused", "timeout"])
def test_dns_lookup_fails_while_the_api_is_up(netlab_dns_failure, mode: str) -> None:
    sc = netlab_dns_failure(mode)
    getent = sc.run_client(["getent", "hosts", netlab.API_NAME], timeout=15)
    assert getent.returncode == 2 and not getent.stdout  # 2: not found
    lookup = sc.run_client([netlab.PY, "-c", RESOLVE, netlab.API_NAME], timeout=15)
    assert lookup.returncode != 0 and "gaierror" in lookup.stderr
    conn = sc.connect(sc.server_ip, netlab.LAB_PORT)  # only the name is broken: the API answers by address
    conn.close()
    netlab.record(f"dns {mode}", f"getent rc {getent.returncode}; getaddrinfo: "
                  f"{lookup.stderr.strip().splitlines()[-1]}")


def test_captive_portal_redirects_every_request_to_its_login(netlab_captive_portal) -> None:
    sc = netlab_captive_portal()
    resolved = sc.run_client([netlab.PY, "-c", RESOLVE, netlab.API_NAME], timeout=15)
    assert resolved.stdout.strip() == sc.server_ip  # the API's name leads to the portal
    conn = sc.connect(sc.server_ip, netlab.PORTAL_PORT)
    conn.sendall(netlab.messages_request(netlab.API_NAME))
    head = netlab.read_http_head(conn)
    conn.close()
    assert netlab.status_code(head) == 302
    assert b"Location: http://portal.lab.test/login" in head
    conn = sc.connect(sc.server_ip, netlab.PORTAL_PORT)
    conn.sendall(f"GET /login HTTP/1.1\r\nHost: {netlab.PORTAL_NAME}\r\nConnection: close\r\n\r\n".encode())
    page = netlab.read_arrivals(conn, timeout=5).data
    conn.close()
    assert netlab.status_code(page) == 200 and b"Sign in" in page


def test_product_says_the_name_does_not_resolve(netlab_dns_failure) -> None:
    sc = netlab_dns_failure()
    proc, report = sc.check(netlab.check_args(idle_max_s=2))
    found = netlab.findings(report)
    assert proc.returncode == 1
    assert "dns-failure" in found, list(found)
    assert netlab.probe_result(report, "stream")["data"]["outcome"] == "connect_failed"


def test_product_says_captive_portal(netlab_captive_portal) -> None:
    sc = netlab_captive_portal()
    proc, report = sc.check(netlab.check_args(idle_max_s=2))
    found = netlab.findings(report)
    assert proc.returncode == 1
    assert "captive-portal" in found, list(found)
    assert "portal.lab.test/login" in found["captive-portal"]["plain"]
    # The SDK follows the redirect to the login page and gets HTML, not the API's event stream.
    assert netlab.probe_result(report, "stream")["data"]["outcome"] == "not_api"
