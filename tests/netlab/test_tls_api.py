"""Scenario 7: the lab API over TLS with a test CA, reached by name (api.lab.test) from the client."""

from __future__ import annotations

import ssl

import pytest

import netlab

pytestmark = pytest.mark.netlab


def test_tls_api_presents_the_test_ca_certificate(netlab_tls_api) -> None:
    sc = netlab_tls_api()
    conn = sc.connect(sc.server_ip, netlab.TLS_PORT)
    with ssl.create_default_context(cafile=str(sc.ca_pem)).wrap_socket(conn, server_hostname=netlab.API_NAME) as tls:
        assert netlab.cert_issuer_cn(tls.getpeercert(binary_form=True) or b"") == "NetLab Test CA"
        assert ("DNS", netlab.API_NAME) in (tls.getpeercert() or {}).get("subjectAltName", ())
        tls.sendall(f"GET /v1/models HTTP/1.1\r\nHost: {netlab.API_NAME}:{netlab.TLS_PORT}\r\n"
                    f"x-api-key: {netlab.LAB_API_KEY}\r\n\r\n".encode())
        assert netlab.status_code(netlab.read_http_head(tls)) == 200
    conn = sc.connect(sc.server_ip, netlab.TLS_PORT)
    with pytest.raises(ssl.SSLCertVerificationError):  # the system's roots do not know the test CA
        ssl.create_default_context().wrap_socket(conn, server_hostname=netlab.API_NAME)
    conn.close()


def test_product_does_not_trust_an_unknown_ca(netlab_tls_api) -> None:
    """(test_network_scenarios.py checks the same API with --ca-file: no finding.)"""
    sc = netlab_tls_api()
    proc, report = sc.check(netlab.check_args(idle_max_s=2))
    found = netlab.findings(report)
    assert proc.returncode == 1
    assert "tls-untrusted" in found, list(found)
    assert netlab.probe_result(report, "stream")["data"]["outcome"] == "connect_failed"
