"""The network probes against the lab API over TLS and against bad servers and proxies written here.

Everything listens on loopback. Each bad server or proxy must give a finding or "could not test", never an
exception, and the clean lab must give no finding at all.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from streamdoctor.cancel import CancelToken
from streamdoctor.diagnosis import diagnose
from streamdoctor.lab import LabRuntime, get_profile
from streamdoctor.lab.tls import LabTLS
from streamdoctor.model import Status
from streamdoctor.probes import ProbeContext
from streamdoctor.probes.clienthello import ClientHelloProbe
from streamdoctor.probes.dns import DNSProbe
from streamdoctor.probes.http import HTTPProbe
from streamdoctor.probes.mtu import MTUProbe
from streamdoctor.probes.tcp import TCPProbe
from streamdoctor.probes.tls import TLSProbe
from streamdoctor.runner import run_probes

FAST = {"http_timeout_s": 3.0, "large_request_timeout_s": 3.0, "clienthello_timeout_s": 2.0, "dns_timeout_s": 2.0}


def network_probes():
    return [DNSProbe(), TCPProbe(), TLSProbe(), ClientHelloProbe(), HTTPProbe(), MTUProbe()]


def run_all(ctx: ProbeContext, cancel: CancelToken | None = None):
    results = run_probes(network_probes(), ctx, cancel=cancel)
    by_name = {r.probe: r for r in results}
    verdict = diagnose(results)
    network = [f for f in verdict.findings if f.rule.startswith("network.")]
    return by_name, verdict, network


def ctx_for(url: str, ca_file: str = "", proxy: str = "", **options) -> ProbeContext:
    return ProbeContext(base_url=url, ca_file=ca_file, proxy=proxy, connect_timeout_s=2.0,
                        options={**FAST, **options})


@pytest.fixture(autouse=True)
def _no_outside_proxy(monkeypatch):
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def tls_lab():
    with LabTLS() as tls, LabRuntime(get_profile("clean"), ssl_context=tls.server_context(),
                                     url_host="localhost") as lab:
        yield lab, tls


# --- small servers written for these tests ------------------------------------------------------------------


class TCPServer:
    """Accepts on loopback and hands each connection to `handle` on its own thread."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self.handle = handle
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._guard, args=(conn,), daemon=True).start()

    def _guard(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.handle(conn)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.close()

    def __enter__(self) -> TCPServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_head(conn: socket.socket) -> bytes:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def pipe(a: socket.socket, b: socket.socket, limit: int | None = None) -> None:
    """Copy a -> b until EOF; with `limit`, stop reading after that many bytes (a black hole)."""
    total = 0
    with contextlib.suppress(OSError):
        while True:
            data = a.recv(65536)
            if not data:
                b.shutdown(socket.SHUT_WR)
                return
            total += len(data)
            if limit is not None and total > limit:
                threading.Event().wait(30)  # swallow everything from here on, answer nothing
                return
            b.sendall(data)


def forwarder(port: int, limit_up: int | None = None, drop_hello_over: int | None = None) -> TCPServer:
    """A TCP forwarder to the lab: optionally a black hole for uploads above `limit_up` bytes, or a middlebox
    that swallows a first TLS record larger than `drop_hello_over` bytes (a large-ClientHello dropper)."""

    def handle(conn: socket.socket) -> None:
        first = b""
        if drop_hello_over is not None:
            while len(first) < 5:
                chunk = conn.recv(5 - len(first))
                if not chunk:
                    return
                first += chunk
            if struct.unpack("!H", first[3:5])[0] > drop_hello_over:
                threading.Event().wait(30)
                return
        up = socket.create_connection(("127.0.0.1", port))
        up.sendall(first)
        threading.Thread(target=pipe, args=(up, conn), daemon=True).start()
        pipe(conn, up, limit_up)

    return TCPServer(handle)


def connect_proxy(upstream_port: int, credentials: str = "", answer: bytes = b"") -> TCPServer:
    """A CONNECT proxy to the lab. `answer` replaces the proxy's reply (a refusal page); `credentials`
    ("user:pass") makes it demand Basic auth with 407."""

    def handle(conn: socket.socket) -> None:
        head = read_head(conn)
        if answer:
            conn.sendall(answer)
            conn.close()
            return
        if credentials:
            token = "Basic " + base64.b64encode(credentials.encode()).decode()
            if f"Proxy-Authorization: {token}".encode() not in head:
                conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
                             b"realm=\"test\"\r\nContent-Type: text/html\r\nContent-Length: 22\r\n\r\n"
                             b"<html>login first</html>")
                conn.close()
                return
        up = socket.create_connection(("127.0.0.1", upstream_port))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\nProxy-Agent: testproxy/1.0\r\n\r\n")
        threading.Thread(target=pipe, args=(up, conn), daemon=True).start()
        pipe(conn, up)

    return TCPServer(handle)


# --- the clean lab over TLS ---------------------------------------------------------------------------------


def test_clean_lab_over_tls_gives_no_finding(tls_lab):
    lab, tls = tls_lab
    assert lab.url.startswith("https://localhost:")
    results, verdict, network = run_all(ctx_for(lab.url, tls.ca_file))
    assert network == [], [f.plain for f in network]
    assert all(r.status is Status.OK for r in results.values()), {n: r.summary for n, r in results.items()}
    t = results["tls"].data
    assert t["version"] == "TLSv1.3" and t["verify_ca_file"] and not t["inspected"] and t["hostname_match"]
    assert t["verify_mozilla"] is False  # the throwaway CA is in no public list, and is trusted only as given
    assert results["http"].data["reached_api"] and results["http"].data["status"] == 401
    ex = results["http"].data["exchanges"][0]
    assert ex["method"] == "GET" and ex["status"] == 401 and ex["url"].endswith("/v1/models")
    ch = results["clienthello"].data
    assert ch["small"]["outcome"] == ch["large"]["outcome"] == "server_hello" and ch["large"]["bytes"] >= 1500
    m = results["mtu"].data
    assert m["method"] == "loopback" and m["path_mtu"] == m["interface_mtu"] and m["black_hole"] is False
    assert m["large_request"]["large"]["status"] == 401  # the 256 KB body got the API's answer


def test_lab_ca_is_deleted_when_the_lab_stops():
    with LabTLS() as tls:
        path = tls.ca_file
        assert "BEGIN CERTIFICATE" in open(path).read()
    assert not os.path.exists(path)


# --- TLS inspection ------------------------------------------------------------------------------------------


def test_inspection_is_named_and_its_root_kept(monkeypatch, tls_lab):
    """A server whose certificate comes from a 'Zscaler Root CA' that only the OS store trusts (SSL_CERT_FILE
    stands in for the store), while the genuine root (the lab CA) does not vouch for it."""
    _, genuine = tls_lab
    with LabTLS(ca_name="Zscaler Root CA", ca_org="Zscaler Inc.") as zscaler, \
            LabRuntime(get_profile("clean"), ssl_context=zscaler.server_context(), url_host="localhost") as lab:
        monkeypatch.setenv("SSL_CERT_FILE", zscaler.ca_file)
        results, verdict, network = run_all(ctx_for(lab.url, genuine.ca_file))
    t = results["tls"].data
    assert (t["verify_mozilla"], t["verify_os"], t["verify_ca_file"]) == (False, True, False)
    assert t["inspected"] and t["inspector"] == "Zscaler"
    assert t["root_pem"].strip() == zscaler.ca_pem.strip()
    assert [f.cause for f in network] == ["tls-inspection"]
    assert "Zscaler Root CA" in network[0].plain and network[0].fix_ids == ["claude-code-ca", "env-ca"]


def test_https_portal_with_its_own_certificate_is_a_captive_portal():
    """A hotel portal answering https for every name: its certificate is for its own name, every request is
    redirected to its login page."""
    with LabTLS(names=("portal.lab.test",), addresses=()) as cert:
        server_ctx = cert.server_context()

        def portal(conn: socket.socket) -> None:
            tls = server_ctx.wrap_socket(conn, server_side=True)
            read_head(tls)
            tls.sendall(b"HTTP/1.1 302 Found\r\nLocation: https://portal.lab.test/login\r\nContent-Length: 0\r\n"
                        b"Connection: close\r\n\r\n")
            tls.close()

        with TCPServer(portal) as server:
            results, verdict, network = run_all(ctx_for(f"https://localhost:{server.port}", cert.ca_file))
    t = results["tls"].data
    assert t["hostname_match"] is False and t["verify_ca_file"] is True  # a good chain, for the wrong name
    assert [f.cause for f in network] == ["captive-portal"]
    assert "portal.lab.test/login" in network[0].plain


def test_api_behind_a_certificate_for_another_name(tls_lab):
    _, genuine = tls_lab
    with LabTLS(names=("gateway.lab.test",), addresses=()) as cert, \
            LabRuntime(get_profile("clean"), ssl_context=cert.server_context(), url_host="localhost") as lab:
        results, verdict, network = run_all(ctx_for(lab.url, cert.ca_file))
    assert results["http"].data["reached_api_verified"] is False  # the SDK refuses the name
    assert [f.cause for f in network] == ["tls-wrong-name"]
    assert "gateway.lab.test" in network[0].plain


def test_http_redirect_to_a_login_page_is_a_captive_portal():
    def portal(conn: socket.socket) -> None:
        read_head(conn)
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://login.portal.test/?next=/v1/models\r\n"
                     b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()

    with TCPServer(portal) as server:
        results, verdict, network = run_all(ctx_for(f"http://localhost:{server.port}"))
    assert results["tls"].status is Status.SKIPPED
    assert [f.cause for f in network] == ["captive-portal"]
    assert "302" in network[0].plain and "login.portal.test" in network[0].plain


# --- bad servers: a finding or "could not test", never an exception -------------------------------------------


def plain_http(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close()


def garbage(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.sendall(b"\x00\xff garbage \x07" * 64)
    conn.close()


def close_mid_handshake(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.close()


def reset_mid_handshake(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def silent(conn: socket.socket) -> None:
    threading.Event().wait(60)


@pytest.mark.parametrize(("handler", "tls_kind", "outcome"), [
    (plain_http, "not-tls", "untested"),
    (garbage, "not-tls", "untested"),
    (close_mid_handshake, "closed", "tls-cut"),
    (reset_mid_handshake, "reset", "tls-cut"),
    (silent, "timeout", "tls-cut"),
])
def test_bad_servers_give_a_finding_or_could_not_test(handler, tls_kind, outcome):
    with TCPServer(handler) as server:
        results, verdict, network = run_all(ctx_for(f"https://localhost:{server.port}"))
    assert all(r.error == "" or not r.error.startswith("Traceback") for r in results.values())
    assert results["tls"].status is Status.ERROR and results["tls"].data["error_kind"] == tls_kind
    assert results["clienthello"].status is Status.ERROR  # not even the small hello was answered
    if outcome == "untested":
        assert network == [] and verdict.overall.value == "untested"
    else:
        assert [f.cause for f in network] == [outcome]


def test_cancel_stops_every_probe_at_once():
    with TCPServer(silent) as server:
        ctx = ProbeContext(base_url=f"https://localhost:{server.port}", connect_timeout_s=300,
                           options={"http_timeout_s": 300, "large_request_timeout_s": 300,
                                    "clienthello_timeout_s": 300})
        cancel = CancelToken()
        threading.Timer(0.5, cancel.cancel).start()
        t0 = time.monotonic()
        results = run_probes(network_probes(), ctx, cancel=cancel)
        elapsed = time.monotonic() - t0
    assert elapsed < 30  # every probe would block 300 s without the cancel
    assert {r.status for r in results} <= {Status.CANCELLED, Status.OK, Status.ERROR}


def test_dns_failure_is_found_once(monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "api.nowhere.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    results, verdict, network = run_all(ctx_for("https://api.nowhere.test"))
    assert results["dns"].status is Status.FAIL and "Name or service not known" in results["dns"].data["error"]
    assert [f.cause for f in network] == ["dns-failure"]
    assert "api.nowhere.test" in network[0].plain


# --- proxies ---------------------------------------------------------------------------------------------------


def test_proxy_answering_an_html_refusal(tls_lab):
    lab, tls = tls_lab
    page = b"<html><body><h1>Access Denied</h1>Policy blocks this site.</body></html>"
    answer = (b"HTTP/1.1 403 Forbidden\r\nServer: squid\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\n"
              b"Content-Type: text/html\r\nContent-Length: " + str(len(page)).encode() + b"\r\n\r\n" + page)
    with connect_proxy(lab.port, answer=answer) as proxy:
        results, verdict, network = run_all(ctx_for(lab.url, tls.ca_file, proxy=f"http://127.0.0.1:{proxy.port}"))
    assert [f.cause for f in network] == ["proxy-denied"]
    assert "403" in network[0].plain and "Access Denied" in network[0].plain
    assert "ERR_ACCESS_DENIED" in network[0].plain


def test_proxy_answering_garbage(tls_lab):
    lab, tls = tls_lab
    with connect_proxy(lab.port, answer=b"<html>this is not HTTP</html>") as proxy:
        results, verdict, network = run_all(ctx_for(lab.url, tls.ca_file, proxy=f"http://127.0.0.1:{proxy.port}"))
    assert results["tcp"].data["via_proxy"]["kind"] == "proxy-garbage"
    assert [f.cause for f in network] == ["proxy-error"]


def test_proxy_407_is_explained_and_basic_auth_in_the_url_works(tls_lab):
    lab, tls = tls_lab
    with connect_proxy(lab.port, credentials="lab user:p@ss") as proxy:
        _, _, refused = run_all(ctx_for(lab.url, tls.ca_file, proxy=f"http://127.0.0.1:{proxy.port}"))
        results, verdict, network = run_all(ctx_for(
            lab.url, tls.ca_file, proxy=f"http://lab%20user:p%40ss@127.0.0.1:{proxy.port}"))
    assert [f.cause for f in refused] == ["proxy-auth"]
    assert "407" in refused[0].plain and "Basic" in refused[0].plain
    assert results["tcp"].data["via_proxy"]["ok"] and results["tcp"].data["proxy"].endswith(
        f"lab%20user:<redacted>@127.0.0.1:{proxy.port}")
    assert results["http"].data["reached_api"] and not results["tls"].data["inspected"]
    assert [f.cause for f in network] == ["proxy-on-path"]  # Proxy-Agent: information only
    dump = repr([r.data for r in results.values()])
    assert "p@ss" not in dump and "p%40ss" not in dump  # the password never lands in the report


# --- large ClientHello and large requests ------------------------------------------------------------------------


def test_large_clienthello_dropped_by_a_middlebox(tls_lab):
    lab, tls = tls_lab
    with forwarder(lab.port, drop_hello_over=1000) as box:
        results, verdict, network = run_all(ctx_for(f"https://localhost:{box.port}", tls.ca_file))
    ch = results["clienthello"].data
    assert ch["small"]["outcome"] == "server_hello" and ch["large"]["outcome"] == "timeout"
    assert results["tls"].status is Status.OK  # Python's own hello is small and passes
    assert [f.cause for f in network] == ["large-clienthello"]
    assert str(ch["large"]["bytes"]) in network[0].plain


def test_large_request_black_hole(tls_lab):
    lab, tls = tls_lab
    with forwarder(lab.port, limit_up=64 * 1024) as box:
        ctx = ctx_for(f"https://localhost:{box.port}", tls.ca_file, large_request_timeout_s=60.0,
                      large_request_stall_s=1.0)
        t0 = time.monotonic()
        results, verdict, network = run_all(ctx)
        elapsed = time.monotonic() - t0
    m = results["mtu"].data
    assert m["black_hole"] is True and m["large_request"]["small"]["status"] == 401
    large = m["large_request"]["large"]
    assert large["kind"] == "stall" and large["stalled_after_bytes"] >= 64 * 1024  # loopback buffers take the rest
    assert elapsed < 30  # given up when it stopped moving, not at the 60 s limit
    assert [f.cause for f in network] == ["mtu-black-hole"]
    assert "256 KB" in network[0].plain and network[0].fix_ids == ["mtu"]


def test_a_slow_answer_after_the_whole_body_arrived_is_not_a_black_hole():
    """The server holds its answer (a scanning gateway, a busy API) longer than the stall limit, but it has
    every byte of the body: the send queue is empty, so that wait is not a stuck upload."""
    from streamdoctor.lab.profiles import LabProfile
    from streamdoctor.lab.server import ServerBehaviour

    profile = LabProfile("slow-answer", "", ServerBehaviour(header_delay_s=2.5))
    with LabTLS() as tls, LabRuntime(profile, ssl_context=tls.server_context(), url_host="localhost") as lab:
        ctx = ctx_for(lab.url, tls.ca_file, http_timeout_s=10.0, large_request_timeout_s=10.0,
                      large_request_stall_s=1.0)
        result = MTUProbe().run(ctx, lambda p: None, CancelToken())
    large = result.data["large_request"]["large"]
    assert large["status"] == 401 and large["time_s"] >= 2.5
    assert result.data["black_hole"] is False


# --- HTTP/2 through a real server that speaks it ---------------------------------------------------------------


NGINX_H2 = """
daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 16; }}
http {{
    access_log off;
    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
    uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {cert}; ssl_certificate_key {key};
        location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_http_version 1.1; }}
    }}
}}
"""


def test_http2_is_negotiated_where_the_server_offers_it(tmp_path):
    """nginx terminates TLS with ALPN h2 in front of the plain lab API, like the API's own edge."""
    import shutil

    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        pytest.skip("nginx is not installed (scripts/bootstrap.sh installs nginx-light for the tests)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with LabTLS() as tls, LabRuntime(get_profile("clean")) as lab:
        cert, key = tls.write_server_files(str(tmp_path))
        (tmp_path / "nginx.conf").write_text(NGINX_H2.format(d=tmp_path, port=port, cert=cert, key=key,
                                                             upstream=lab.port))
        proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
                time.sleep(0.05)
            results, verdict, network = run_all(ctx_for(f"https://localhost:{port}", tls.ca_file))
        finally:
            proc.terminate()
            proc.wait(10)
    h = results["http"].data
    assert h["h2_negotiated"] is True and h["h2"]["http_version"] == "HTTP/2" and h["h2"]["status"] == 401
    assert h["h1"]["http_version"] == "HTTP/1.1" and h["reached_api"]
    assert results["tls"].data["alpn"] == "h2"
    assert network == []


# --- the command line ---------------------------------------------------------------------------------------


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("https_proxy", "http_proxy", "all_proxy")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "streamdoctor", *args], capture_output=True, text=True,
                          timeout=60, env=env)


def test_bad_ca_file_is_one_line():
    proc = run_cli("check", "--quick", "--base-url", "https://localhost:9", "--ca-file", "/nonexistent/ca.pem")
    assert proc.returncode == 2
    assert "--ca-file /nonexistent/ca.pem" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_lab_serve_tls_prints_its_ca_and_the_sdk_trusts_it_by_name():
    import ssl

    import anthropic

    proc = subprocess.Popen([sys.executable, "-m", "streamdoctor", "lab", "serve", "--tls"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split(" at ")[1].strip()
        ca_line = proc.stdout.readline()
        ca_file = ca_line.split(": ", 1)[1].strip()
        assert url.startswith("https://localhost:") and os.path.exists(ca_file)
        http = anthropic.DefaultHttpxClient(verify=ssl.create_default_context(cafile=ca_file))
        client = anthropic.Anthropic(api_key="sk-ant-lab-demo", base_url=url, http_client=http)
        assert client.models.list().data
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
    assert not os.path.exists(ca_file)  # deleted when the lab stopped
