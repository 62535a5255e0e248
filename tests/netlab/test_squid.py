"""Scenario 5: real squid as the corporate proxy: basic auth (407), an idle tunnel's read_timeout, and
ssl_bump with a test CA (the lab's TLS-inspecting proxy)."""

from __future__ import annotations

import base64
import ssl
import time

import pytest

import netlab

pytestmark = pytest.mark.netlab

TARGET = f"{netlab.API_NAME}:{netlab.TLS_PORT}"


def _connect_via_proxy(sc: netlab.SquidScenario, credentials: tuple[str, str] | None = None):
    """CONNECT api.lab.test:8443 through squid from the client ns: (socket, status, head, seconds)."""
    conn = sc.connect(sc.server_ip, netlab.SQUID_PORT)
    auth = ""
    if credentials:
        token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
        auth = f"Proxy-Authorization: Basic {token}\r\n"
    t0 = time.monotonic()
    conn.sendall(f"CONNECT {TARGET} HTTP/1.1\r\nHost: {TARGET}\r\n{auth}\r\n".encode())
    head = netlab.read_http_head(conn)
    return conn, netlab.status_code(head), head, time.monotonic() - t0


def _tls(conn, cafile) -> ssl.SSLSocket:
    ctx = ssl.create_default_context(cafile=str(cafile))
    return ctx.wrap_socket(conn, server_hostname=netlab.API_NAME)


def _get_models(tls: ssl.SSLSocket) -> int:
    # The Host header must carry the port: squid bumps to https://HOST[:443] otherwise.
    tls.sendall(f"GET /v1/models HTTP/1.1\r\nHost: {TARGET}\r\nx-api-key: {netlab.LAB_API_KEY}\r\n\r\n".encode())
    return netlab.status_code(netlab.read_http_head(tls))


def test_auth_proxy_answers_407_without_credentials_and_tunnels_with_them(netlab_squid) -> None:
    sc = netlab_squid("auth")
    conn, status, head, t_407 = _connect_via_proxy(sc)
    conn.close()
    assert status == 407 and b'Proxy-Authenticate: Basic realm="netlab"' in head
    conn, status, _, _ = _connect_via_proxy(sc, ("labuser", "wrong"))
    conn.close()
    assert status == 407
    conn, status, _, t_200 = _connect_via_proxy(sc, sc.credentials)
    assert status == 200
    with _tls(conn, sc.ca_pem) as tls:
        assert netlab.cert_issuer_cn(tls.getpeercert(binary_form=True) or b"") == "NetLab Origin CA"
        assert _get_models(tls) == 200
    assert "labuser" in sc.access_log.read_text()
    netlab.record("squid auth", f"407 in {t_407 * 1000:.0f} ms without credentials; 200 in {t_200 * 1000:.0f} ms "
                  "with them; tunnel shows the origin's own certificate")


def test_bump_proxy_presents_its_own_ca(netlab_squid) -> None:
    sc = netlab_squid("bump")
    conn, status, _, t_connect = _connect_via_proxy(sc)
    assert status == 200
    t0 = time.monotonic()
    with _tls(conn, sc.ca_pem) as tls:
        t_handshake = time.monotonic() - t0
        cert = tls.getpeercert() or {}
        assert netlab.cert_issuer_cn(tls.getpeercert(binary_form=True) or b"") == "NetLab Squid Bump CA"
        assert ("DNS", netlab.API_NAME) in cert.get("subjectAltName", ())
        assert _get_models(tls) == 200
    # The same connection verified against the origin's CA (what a client without the bump CA does) fails.
    conn, status, _, _ = _connect_via_proxy(sc)
    with pytest.raises(ssl.SSLCertVerificationError):
        _tls(conn, sc.origin_ca_pem)
    conn.close()
    netlab.record("squid bump", f"CONNECT 200 in {t_connect * 1000:.0f} ms, bumped handshake "
                  f"{t_handshake * 1000:.0f} ms, issuer 'NetLab Squid Bump CA'")


def test_tunnel_is_closed_after_read_timeout_of_silence(netlab_squid) -> None:
    sc = netlab_squid("tunnel", read_timeout_s=2)
    conn, status, _, _ = _connect_via_proxy(sc)
    assert status == 200
    with _tls(conn, sc.ca_pem) as tls:
        assert _get_models(tls) == 200
        ending, waited = netlab.wait_closed(tls, timeout=12)  # drains the rest of the answer, then waits
    assert ending in ("fin", "tls_eof")  # squid closes the tunnel with a FIN, no TLS close_notify
    assert 1.5 < waited < 10
    netlab.record("squid tunnel read_timeout 2 s", f"idle tunnel ended ({ending}) after {waited:.2f} s")


def test_product_sees_the_proxy_timeout(netlab_squid) -> None:
    sc = netlab_squid("tunnel", read_timeout_s=3, think_s=6)
    proc, report = sc.check(netlab.check_args(idle_max_s=5, stall_s=8, ca_file=sc.ca_pem),
                            env={"HTTPS_PROXY": sc.proxy_url, "SSL_CERT_FILE": str(sc.ca_pem)})
    found = netlab.findings(report)
    assert proc.returncode == 1
    assert "idle-close" in found, list(found)
    stream = netlab.probe_result(report, "stream")["data"]
    assert stream["outcome"] == "closed" and stream["silence_before_end_s"] == pytest.approx(3.5, abs=1.5)
    netlab.record("product, squid tunnel read_timeout 3 s + think 6 s",
                  f"stream closed after {stream['silence_before_end_s']:.1f} s silence; findings {sorted(found)}")
