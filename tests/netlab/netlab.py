"""The network lab: real Linux namespaces, netfilter, nginx and squid around the lab API, for the tests.

Every failure the product explains about a corporate network is reproduced here by real network software, so
what it tells a user has been seen to be true against real gear. Each scenario is built on demand, gets
unique names (run id "sd" + 4 hex chars), and is always torn down: fixtures use try/finally, an atexit hook
tears down what is still up, and every session starts by sweeping namespaces left by dead runs.

Fixtures (tests/netlab/conftest.py), each a factory you call inside a test; the scenario is torn down when
the test ends:

    netlab_basic(profile="clean", think_s=None) -> Scenario            client / router / server, no fault
    netlab_firewall(idle_s, mode="reset"|"drop", profile="clean", think_s=None) -> Scenario
        conntrack on the router forgets a flow after idle_s seconds of silence (whole seconds, >= 1); a packet
        of a forgotten flow gets REJECT --reject-with tcp-reset (mode "reset") or is dropped (mode "drop").
        NOTE: REJECT answers the SENDER of the late packet. A silent stream is ended by the server's next
        write, so the server gets the RST and the client just hangs; the client sees the RST only when it
        sends something itself (a new request on a pooled socket, a keepalive probe).
    netlab_mtu(blackhole=True, profile="clean") -> MtuScenario
        client -1500- r1 -1400- r2 -1500- server; ICMP frag-needed dropped in both routers' OUTPUT (and
        FORWARD) chains when blackhole; tcp_mtu_probing 0. .set_blackhole(bool), .flush_route_caches().
    netlab_nginx(buffering=True, read_timeout_s=None, profile="clean", think_s=None, header_delay_s=None,
                 gzip=False) -> NginxScenario
        real nginx in the server ns in front of the lab API. buffering=True: the broken config (default
        proxy_buffering on, proxy_read_timeout read_timeout_s, default 3). buffering=False: the fixed config
        (proxy_buffering off; proxy_cache off; proxy_http_version 1.1; proxy_set_header Connection "";
        proxy_read_timeout read_timeout_s, default 600). gzip=True adds `gzip on; gzip_types
        text/event-stream;` (measured on nginx 1.22: proxy_buffering on alone does NOT hold SSE back from a
        client that keeps reading; gzip of the event stream with buffering on does; proxy_buffering off
        undoes it, since unbuffered proxying flushes gzip at every read).
        .nginx_conf (Path, edit it), .reload(), .error_log, .access_log. api_url = http://SERVER_IP:8081.
    netlab_squid(mode="auth"|"bump"|"tunnel", read_timeout_s=5, profile="clean", think_s=None) -> SquidScenario
        real squid in the server ns at .proxy_url (no credentials in it); the origin is the lab API over TLS
        at .api_url = https://api.lab.test:8443 (squid resolves the name through its own hosts_file).
        auth: basic auth, 407 without .credentials (("labuser", "labpass")); .proxy_url_with_credentials.
        bump: ssl_bump with a test CA (.ca_pem is the bump CA, the lab's Zscaler); .origin_ca_pem.
        tunnel: a plain CONNECT tunnel; .ca_pem is the origin CA. All modes: read_timeout read_timeout_s.
    netlab_dns_failure(mode="refused"|"timeout") -> Scenario
        the client's resolv.conf points at a nameserver that refuses (ICMP port unreachable) or drops
        queries; .api_url = http://api.lab.test:8080 names a working lab API that cannot be resolved.
    netlab_captive_portal() -> Scenario
        api.lab.test resolves (client hosts file) to a portal answering every request with 302 to
        http://portal.lab.test/login; .api_url = http://api.lab.test, .portal_url.
    netlab_tls_api(profile="clean", think_s=None) -> Scenario
        the lab API over TLS at https://api.lab.test:8443 with a test CA (.ca_pem), the name in the client's
        hosts file.

A Scenario has: .name, .client_ns, .server_ns, .namespaces, .client_ip, .server_ip, .api_url, .ca_pem (Path or
None), .workdir (a private folder, removed at teardown), .timings (setup_s, teardown_s), and
    .run_client(argv, timeout=60, env=None) -> CompletedProcess      `ip netns exec CLIENT argv`, text, captured
    .popen_client(argv, env=None) -> Popen                            killed at teardown if still running
    .product(args, timeout=120, env=None) -> CompletedProcess
        `python -m streamdoctor ARGS` in the client ns with ANTHROPIC_API_KEY=sk-ant-lab-demo, a private
        STREAMDOCTOR_HOME and no proxy/CA/ANTHROPIC_* variables from the outside (pass them in env).
    .check(args=(), timeout=120, env=None) -> (CompletedProcess, report dict)   `check --base-url API --json`
    .in_client() / .in_server() / .in_ns(name)                        context manager: this thread's sockets
        created inside are in that namespace (setns), e.g. raw sockets for raw checks
    .start_raw_server(port) -> RawServer                              PING/UP n/DOWN n/echo server in the server ns

Throwing a test's scenario away early: scenario.close() (idempotent). Timeouts and idle cuts are scaled to
seconds. Addresses are private 10.231.x.y, chosen per run, and exist only in namespaces this run made.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import datetime
import errno
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

PY = sys.executable
HERE = Path(__file__).resolve().parent
SERVE_LAB = HERE / "serve_lab.py"
LAB_API_KEY = "sk-ant-lab-demo"
API_NAME = "api.lab.test"
PORTAL_NAME = "portal.lab.test"

RUN_ID = "sd" + secrets.token_hex(2)
OWNED = re.compile(r"^sd[0-9a-f]{4}-")  # namespaces, /etc/netns dirs and temp dirs of any netlab run
REGISTRY = Path("/run/streamdoctor-netlab")  # RUN_ID -> owning pid, so a sweep spares live parallel runs
SQUID_CERTGEN = Path("/usr/lib/squid/security_file_certgen")
SQUID_BASIC_AUTH = Path("/usr/lib/squid/basic_ncsa_auth")
_SUBNET_BASE = secrets.randbelow(60) * 4  # this run's 10.231.x.0/24 block; scenario k uses x = base + ...
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}
_CA_VARS = {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"}
CLONE_NEWNET = 0x40000000


class NetlabError(RuntimeError):
    """A lab scenario could not be built; the message says which step and shows the tool's output."""


# --- requirements ---------------------------------------------------------------------------------------


def tool(name: str) -> str | None:
    """Absolute path of a system tool, also looking in sbin dirs a non-login PATH may miss."""
    found = shutil.which(name)
    if found:
        return found
    for d in ("/usr/sbin", "/sbin", "/usr/bin"):
        if os.access(f"{d}/{name}", os.X_OK):
            return f"{d}/{name}"
    return None


def missing_requirement() -> str | None:
    """Why the lab cannot run here (None if it can)."""
    if sys.platform != "linux":
        return "the network lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "the network lab needs root (network namespaces, netfilter); run the tests as root"
    for name in ("ip", "iptables", "nginx", "squid", "openssl", "ping"):
        if tool(name) is None:
            return f"'{name}' is not installed (scripts/bootstrap.sh test installs it)"
    for helper in (SQUID_CERTGEN, SQUID_BASIC_AUTH):
        if not os.access(helper, os.X_OK):
            return f"{helper} is missing (install the squid-openssl package)"
    return None


def require_netlab() -> None:
    """Skip the calling test with a clear reason when the lab cannot run (tests/conftest.py fails it in CI)."""
    import pytest

    reason = missing_requirement()
    if reason:
        pytest.skip(f"netlab: {reason}")


# --- small helpers ----------------------------------------------------------------------------------------


def sh(*argv: str, check: bool = True, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run a lab command (absolute tool path), raising NetlabError with its output when it fails."""
    cmd = [tool(argv[0]) or argv[0], *argv[1:]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise NetlabError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def ns_exec(ns: str, *argv: str, check: bool = True, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", ns, *argv, check=check, timeout=timeout)


_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def netns(name: str) -> Iterator[None]:
    """Run the block with this thread in namespace `name`: sockets created inside stay in it afterwards."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(own)


def wait_port(ns: str, host: str, port: int, timeout: float = 10.0, what: str = "") -> None:
    """Wait until something accepts TCP connections on host:port inside `ns` (for servers that print nothing)."""
    deadline = time.monotonic() + timeout
    while True:
        with netns(ns):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(1.0)
            s.connect((host, port))
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise NetlabError(f"{what or 'server'} did not listen on {host}:{port} in {ns}: {exc}") from exc
        finally:
            s.close()
        time.sleep(0.05)  # bounded poll of a server that gives no readiness signal


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- processes --------------------------------------------------------------------------------------------


class ManagedProcess:
    """A server process in a namespace: its output goes to a log file, wait_for() awaits a line of it."""

    def __init__(self, ns: str, argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None) -> None:
        self.ns = ns
        self.argv = list(argv)
        self.log_path = log_path
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._eof = False
        self.proc = subprocess.Popen(
            [tool("ip") or "ip", "netns", "exec", ns, *argv],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None, start_new_session=True, text=True, errors="replace",
        )
        self.pid = self.proc.pid  # `ip netns exec` execs the program: this is the server's own pid
        self._reader = threading.Thread(target=self._read, name=f"netlab-log-{self.pid}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                with self._cond:
                    self._lines.append(line.rstrip("\n"))
                    self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """Block until an output line matches `pattern`; NetlabError if the process dies or time runs out."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return m
                seen = len(self._lines)
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    tail = "\n".join(self._lines[-15:])
                    why = f"exited with {self.proc.poll()}" if self._eof else f"no line matching {pattern!r}"
                    raise NetlabError(f"{' '.join(self.argv[:3])} in {self.ns}: {why}; output:\n{tail}")
                self._cond.wait(remaining)

    def output(self) -> str:
        with self._cond:
            return "\n".join(self._lines)

    def running(self) -> bool:
        return self.proc.poll() is None

    def send_signal(self, sig: int) -> None:
        if self.running():
            os.kill(self.pid, sig)

    def stop(self, grace_s: float = 3.0, sig: int = signal.SIGTERM) -> None:
        """Signal the process group (helpers too), SIGKILL what is left after `grace_s`."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # stragglers in the group (squid helpers, nginx workers)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self._reader.join(2)


class RawServer:
    """A tiny TCP server in a namespace for raw checks (threads in this process, socket bound in the ns).

    Protocol, one line per command: "PING" -> "PONG"; "UP n" + n bytes -> "GOT n"; "DOWN n" -> n bytes;
    anything else is echoed back.
    """

    def __init__(self, ns: str, host: str, port: int) -> None:
        with netns(ns):
            self.sock = socket.create_server((host, port), reuse_port=False)
        self.host, self.port = host, port
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name=f"netlab-raw-{port}", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            f = conn.makefile("rb")
            while True:
                line = f.readline(256)
                if not line:
                    return
                cmd = line.strip().split()
                if cmd == [b"PING"]:
                    conn.sendall(b"PONG\n")
                elif len(cmd) == 2 and cmd[0] == b"UP":
                    n = int(cmd[1])
                    got = 0
                    while got < n:
                        chunk = f.read1(min(65536, n - got))
                        if not chunk:
                            return
                        got += len(chunk)
                    conn.sendall(b"GOT %d\n" % got)
                elif len(cmd) == 2 and cmd[0] == b"DOWN":
                    conn.sendall(b"x" * int(cmd[1]))
                else:
                    conn.sendall(line)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns = list(self._conns)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()


# --- certificates -----------------------------------------------------------------------------------------


def make_ca(path: Path, common_name: str) -> tuple[Path, Path]:
    """A throwaway CA: writes PATH.pem and PATH.key (never installed anywhere)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem, keyfile = path.with_suffix(".pem"), path.with_suffix(".key")
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return pem, keyfile


def make_leaf(path: Path, ca: tuple[Path, Path], dns_names: Sequence[str]) -> tuple[Path, Path]:
    """A server certificate for `dns_names` signed by `ca`: writes PATH.pem and PATH.key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert = x509.load_pem_x509_certificate(ca[0].read_bytes())
    ca_key = serialization.load_pem_private_key(ca[1].read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0])]))
        .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
                       critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    pem, keyfile = path.with_suffix(".pem"), path.with_suffix(".key")
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return pem, keyfile


def cert_issuer_cn(der: bytes) -> str:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attrs = x509.load_der_x509_certificate(der).issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""


# --- run bookkeeping: registry, sweep, atexit ---------------------------------------------------------------

MEASUREMENTS: list[str] = []  # what the raw checks measured; printed in pytest's terminal summary


def record(label: str, value: Any) -> None:
    MEASUREMENTS.append(f"{label}: {value}")


_live: set[Scenario] = set()
_live_lock = threading.Lock()
_counter = 0


def _register_run() -> None:
    REGISTRY.mkdir(parents=True, exist_ok=True)
    (REGISTRY / RUN_ID).write_text(str(os.getpid()))


def _run_alive(run_id: str) -> bool:
    if run_id == RUN_ID:
        return True
    try:
        pid = int((REGISTRY / run_id).read_text())
    except (OSError, ValueError):
        return False
    return _pid_alive(pid)


def list_namespaces() -> list[str]:
    out = sh("ip", "netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def delete_namespace(name: str) -> None:
    """Kill what runs in a lab namespace (it is ours: only this lab starts things there), then delete it."""
    pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    proc = sh("ip", "netns", "del", name, check=False)
    if proc.returncode != 0 and name in list_namespaces():
        raise NetlabError(f"could not delete namespace {name}: {proc.stderr.strip()}")
    shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)


def sweep_stale() -> list[str]:
    """Delete namespaces, /etc/netns dirs and temp dirs left by netlab runs whose process is gone."""
    swept: list[str] = []
    for name in list_namespaces():
        if OWNED.match(name) and not _run_alive(name[:6]):
            delete_namespace(name)
            swept.append(name)
    for parent in (Path("/etc/netns"), Path(tempfile.gettempdir())):
        if parent.is_dir():
            for entry in parent.iterdir():
                if OWNED.match(entry.name) and not _run_alive(entry.name[:6]):
                    shutil.rmtree(entry, ignore_errors=True)
                    swept.append(str(entry))
    if REGISTRY.is_dir():
        for entry in REGISTRY.iterdir():
            if not _run_alive(entry.name):
                entry.unlink(missing_ok=True)
    return swept


def teardown_all() -> None:
    """Tear down every scenario of this run that is still up (atexit, Ctrl-C, end of session)."""
    with _live_lock:
        scenarios = list(_live)
    for sc in scenarios:
        with contextlib.suppress(Exception):
            sc.close()
    (REGISTRY / RUN_ID).unlink(missing_ok=True)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # so fixtures' finally blocks and atexit run on `kill` as on Ctrl-C


def start_session() -> None:
    """Once per test session: sweep what dead runs left, register this run, make sure we clean up on exit."""
    sweep_stale()
    _register_run()
    atexit.register(teardown_all)
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


# --- scenarios --------------------------------------------------------------------------------------------


class Scenario:
    """One built lab. Everything it made is undone by close(), in reverse order, even after a failed build."""

    def __init__(self, name: str) -> None:
        global _counter
        with _live_lock:
            _counter += 1
            self.index = _counter
            _live.add(self)
        self.t_start = time.monotonic()
        self.name = name
        self.prefix = f"{RUN_ID}-{self.index}"
        self.namespaces: list[str] = []
        self.client_ns = self.server_ns = ""
        self.client_ip = self.server_ip = ""
        self.api_url = ""
        self.ca_pem: Path | None = None
        self.timings: dict[str, float] = {}
        self.info: dict[str, Any] = {}
        self._undo: list[tuple[str, Callable[[], None]]] = []
        self._procs: list[ManagedProcess] = []
        self._closed = False
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-"))
        self.workdir.chmod(0o755)  # squid and nginx workers drop root and must traverse it
        self._undo.append(("workdir", lambda: shutil.rmtree(self.workdir, ignore_errors=True)))
        (self.workdir / "home").mkdir()

    def __repr__(self) -> str:
        return f"<Scenario {self.name} {self.prefix} api={self.api_url}>"

    # -- building blocks --

    def on_close(self, what: str, fn: Callable[[], None]) -> None:
        self._undo.append((what, fn))

    def add_ns(self, role: str) -> str:
        name = f"{self.prefix}{role}"
        sh("ip", "netns", "add", name)
        self.on_close(f"netns {name}", lambda: delete_namespace(name))
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def subnet(self, j: int) -> str:
        """10.231.X.0/24 prefix ("10.231.X.") for link j of this scenario, unique within the run."""
        return f"10.231.{(_SUBNET_BASE + 4 * self.index + j) % 256}."

    def chain(self, roles: Sequence[str], mtus: Sequence[int] | None = None) -> list[str]:
        """Namespaces in a line joined by veth pairs, with routes end to end; returns the namespace names.

        Link j joins roles[j] (address .1) and roles[j+1] (address .2) on subnet(j). Routers forward.
        """
        names = [self.add_ns(r) for r in roles]
        links = len(names) - 1
        mtus = list(mtus) if mtus else [1500] * links
        for j in range(links):
            net = self.subnet(j)
            left, right = f"v{RUN_ID[2:]}{self.index}{j}a", f"v{RUN_ID[2:]}{self.index}{j}b"
            sh("ip", "link", "add", left, "netns", names[j], "type", "veth", "peer", "name", right,
               "netns", names[j + 1])
            for ns, dev, host in ((names[j], left, 1), (names[j + 1], right, 2)):
                sh("ip", "-n", ns, "addr", "add", f"{net}{host}/24", "dev", dev)
                sh("ip", "-n", ns, "link", "set", dev, "mtu", str(mtus[j]), "up")
        # Ends: default route towards the middle. Routers: a route to every subnet that is not adjacent.
        if links >= 2:
            sh("ip", "-n", names[0], "route", "add", "default", "via", f"{self.subnet(0)}2")
            sh("ip", "-n", names[-1], "route", "add", "default", "via", f"{self.subnet(links - 1)}1")
        for p in range(1, links):
            ns_exec(names[p], "sysctl", "-qw", "net.ipv4.ip_forward=1")
            for j in range(links):
                if j > p:
                    sh("ip", "-n", names[p], "route", "add", f"{self.subnet(j)}0/24", "via", f"{self.subnet(p)}2")
                elif j < p - 1:
                    sh("ip", "-n", names[p], "route", "add", f"{self.subnet(j)}0/24", "via", f"{self.subnet(p - 1)}1")
        self.client_ns, self.server_ns = names[0], names[-1]
        self.client_ip, self.server_ip = f"{self.subnet(0)}1", f"{self.subnet(links - 1)}2"
        self.isolate_client_names()
        return names

    def isolate_client_names(self, hosts: Mapping[str, str] | None = None, nameserver: str = "127.0.0.1") -> None:
        """The client's own /etc/hosts and resolv.conf (bind-mounted by `ip netns exec`), so no lookup ever
        leaves the lab: unknown names fail at once against a nameserver on the client's loopback."""
        etc = Path("/etc/netns") / self.client_ns
        etc.mkdir(parents=True, exist_ok=True)
        lines = ["127.0.0.1 localhost", "::1 localhost"] + [f"{ip} {name}" for name, ip in (hosts or {}).items()]
        (etc / "hosts").write_text("\n".join(lines) + "\n")
        (etc / "resolv.conf").write_text(f"nameserver {nameserver}\noptions timeout:1 attempts:1\n")

    def spawn(self, ns: str, argv: Sequence[str], label: str, env: Mapping[str, str] | None = None,
              grace_s: float = 3.0, stop_signal: int = signal.SIGTERM) -> ManagedProcess:
        proc = ManagedProcess(ns, argv, self.workdir / f"{label}.log", env=env)
        self._procs.append(proc)
        self.on_close(f"process {label}", lambda: proc.stop(grace_s, stop_signal))
        return proc

    def start_lab(self, host: str, port: int, profile: str = "clean", think_s: float | None = None,
                  header_delay_s: float | None = None, tls: tuple[Path, Path] | None = None,
                  url_host: str = "") -> str:
        """The lab API in the server ns; returns the URL it printed once its listeners were bound."""
        if think_s is None and header_delay_s is None and tls is None and not url_host and host == "127.0.0.1":
            # The product's own `lab serve` (on a non-loopback --host it forwards to the wrong address).
            argv = [PY, "-m", "streamdoctor", "lab", "serve", "--profile", profile, "--host", host, "--port", str(port)]
        else:
            argv = [PY, str(SERVE_LAB), "--profile", profile, "--host", host, "--port", str(port)]
            if think_s is not None:
                argv += ["--think", str(think_s)]
            if header_delay_s is not None:
                argv += ["--header-delay", str(header_delay_s)]
            if tls is not None:
                argv += ["--cert", str(tls[0]), "--key", str(tls[1])]
            if url_host:
                argv += ["--url-host", url_host]
        env = {**os.environ, "STREAMDOCTOR_HOME": str(self.workdir / "home"), "PYTHONUNBUFFERED": "1"}
        lab = self.spawn(self.server_ns, argv, "lab", env=env)
        url = lab.wait_for(r"^Lab profile '.*' at (\S+)", timeout=30).group(1)
        self.info["lab_url"] = url
        self.info["lab_profile"] = profile
        return url

    def start_raw_server(self, port: int, host: str = "") -> RawServer:
        server = RawServer(self.server_ns, host or self.server_ip, port)
        self.on_close(f"raw server {port}", server.close)
        return server

    def finish_setup(self) -> None:
        self.timings["setup_s"] = round(time.monotonic() - self.t_start, 3)

    # -- using the lab --

    def in_ns(self, name: str) -> contextlib.AbstractContextManager[None]:
        return netns(name)

    def in_client(self) -> contextlib.AbstractContextManager[None]:
        return netns(self.client_ns)

    def in_server(self) -> contextlib.AbstractContextManager[None]:
        return netns(self.server_ns)

    def connect(self, host: str, port: int, timeout: float = 5.0) -> socket.socket:
        """A TCP connection from the client namespace."""
        with self.in_client():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.connect((host, port))
        except BaseException:
            s.close()
            raise
        return s

    def client_env(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The outside environment without proxy, CA or ANTHROPIC_* settings, plus `env`."""
        clean = {
            k: v for k, v in os.environ.items()
            if k.lower() not in _PROXY_VARS and k not in _CA_VARS and not k.startswith("ANTHROPIC_")
        }
        clean.update(env or {})
        return clean

    def run_client(self, argv: Sequence[str], timeout: float = 60, env: Mapping[str, str] | None = None,
                   input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool("ip") or "ip", "netns", "exec", self.client_ns, *argv], capture_output=True, text=True,
            timeout=timeout, env=self.client_env(env), input=input,
            stdin=subprocess.DEVNULL if input is None else None,
        )

    def popen_client(self, argv: Sequence[str], env: Mapping[str, str] | None = None,
                     **kwargs: Any) -> subprocess.Popen[Any]:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        proc: subprocess.Popen[Any] = subprocess.Popen(
            [tool("ip") or "ip", "netns", "exec", self.client_ns, *argv], env=self.client_env(env),
            start_new_session=True, **kwargs,
        )

        def stop() -> None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)

        self.on_close("client process", stop)
        return proc

    def product(self, args: Sequence[str], timeout: float = 120,
                env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`python -m streamdoctor ARGS` inside the client namespace, with the lab key and a private home.

        The scenarios' APIs are plain HTTP on this run's own namespace addresses and get the lab's key, so the
        commands that send a key say --allow-plain-http (the product asks before a key goes out in cleartext)."""
        args = list(args)
        if args[:1] in (["check"], ["idle"], ["stress"], ["bundle"]) and "--allow-plain-http" not in args:
            args.insert(1, "--allow-plain-http")
        elif args[:1] == ["fix"] and len(args) > 1 and args[1] in ("show", "apply"):
            args.insert(2, "--allow-plain-http")
        base = {"ANTHROPIC_API_KEY": LAB_API_KEY, "STREAMDOCTOR_HOME": str(self.workdir / "home")}
        return self.run_client([PY, "-m", "streamdoctor", *args], timeout=timeout, env={**base, **(env or {})})

    def check(self, args: Sequence[str] = (), timeout: float = 120,
              env: Mapping[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        """`check --base-url API_URL --json ARGS` in the client ns; returns the process and the parsed report."""
        proc = self.product(["check", "--base-url", self.api_url, "--json", *args], timeout=timeout, env=env)
        try:
            report = json.loads(proc.stdout)
        except ValueError as exc:
            raise AssertionError(f"check printed no JSON report (exit {proc.returncode}): "
                                 f"{proc.stderr.strip()[-2000:]}") from exc
        return proc, report

    # -- teardown --

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        t0 = time.monotonic()
        errors: list[str] = []
        for what, fn in reversed(self._undo):
            try:
                fn()
            except Exception as exc:  # keep undoing the rest: a leak elsewhere is worse than one error
                errors.append(f"{what}: {exc}")
        self.timings["teardown_s"] = round(time.monotonic() - t0, 3)
        with _live_lock:
            _live.discard(self)
        left = [n for n in list_namespaces() if n.startswith(self.prefix)]
        left += [f"process {p.pid} ({p.argv[0]})" for p in self._procs if _pid_alive(p.pid)]
        if left:
            errors.append(f"still there after teardown: {', '.join(left)}")
        if errors:
            raise NetlabError(f"teardown of {self.name} incomplete: " + "; ".join(errors))

    def __enter__(self) -> Scenario:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _built(sc: Scenario, build: Callable[[], None]) -> None:
    """Run a scenario's build steps; on any failure (or Ctrl-C) undo what was made, then re-raise."""
    try:
        build()
    except BaseException:
        with contextlib.suppress(Exception):
            sc.close()
        raise
    sc.finish_setup()


LAB_PORT = 8080
TLS_PORT = 8443


def build_basic(profile: str = "clean", think_s: float | None = None) -> Scenario:
    """Scenario 1: client / router / server, the lab API in the server ns, nothing in the way."""
    sc = Scenario(f"basic-{profile}")

    def build() -> None:
        sc.chain(["c", "r", "s"])
        sc.api_url = sc.start_lab(sc.server_ip, LAB_PORT, profile, think_s=think_s)

    _built(sc, build)
    return sc


def build_firewall(idle_s: float, mode: str = "reset", profile: str = "clean",
                   think_s: float | None = None) -> Scenario:
    """Scenario 2: a stateful firewall on the router that forgets flows idle for `idle_s` seconds."""
    if mode not in ("reset", "drop"):
        raise ValueError(f"firewall mode must be 'reset' or 'drop', not {mode!r}")
    cut = max(1, round(idle_s))  # conntrack timeouts are whole seconds
    sc = Scenario(f"firewall-{mode}-{cut}s")

    def build() -> None:
        _, router, _ = sc.chain(["c", "r", "s"])
        ipt = ["ip", "netns", "exec", router, "iptables", "-w"]
        sh(*ipt, "-A", "FORWARD", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
        sh(*ipt, "-A", "FORWARD", "-p", "tcp", "--syn", "-m", "conntrack", "--ctstate", "NEW", "-j", "ACCEPT")
        sh(*ipt, "-A", "FORWARD", "-p", "icmp", "-j", "ACCEPT")
        last = ["-j", "REJECT", "--reject-with", "tcp-reset"] if mode == "reset" else ["-j", "DROP"]
        sh(*ipt, "-A", "FORWARD", "-p", "tcp", *last)
        # The conntrack sysctls are per namespace and exist once a conntrack rule is loaded (above).
        ns_exec(router, "sysctl", "-qw", f"net.netfilter.nf_conntrack_tcp_timeout_established={cut}")
        ns_exec(router, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0")
        sc.info.update(router_ns=router, idle_s=cut, mode=mode)
        sc.api_url = sc.start_lab(sc.server_ip, LAB_PORT, profile, think_s=think_s)

    _built(sc, build)
    return sc


class MtuScenario(Scenario):
    routers: list[str]

    def set_blackhole(self, on: bool) -> None:
        """Drop (on) or allow (off) the routers' ICMP frag-needed, then forget every learned path MTU."""
        for r in self.routers:
            for chain in ("OUTPUT", "FORWARD"):
                sh("ip", "netns", "exec", r, "iptables", "-w", "-F", chain)
                if on:
                    sh("ip", "netns", "exec", r, "iptables", "-w", "-A", chain, "-p", "icmp",
                       "--icmp-type", "fragmentation-needed", "-j", "DROP")
        self.info["blackhole"] = on
        self.flush_route_caches()

    def flush_route_caches(self) -> None:
        """A learned PMTU exception would hide the black hole (and the client's MSS would shrink)."""
        for ns in (self.client_ns, self.server_ns):
            ns_exec(ns, "ip", "route", "flush", "cache")

    def icmp_drops(self) -> int:
        """Packets the routers' black-hole rules dropped so far (OUTPUT chains)."""
        total = 0
        for r in self.routers:
            out = ns_exec(r, "iptables", "-w", "-L", "OUTPUT", "-v", "-n", "-x").stdout
            for line in out.splitlines():
                if "DROP" in line and "icmp" in line:
                    total += int(line.split()[0])
        return total


def _mtu_chain(sc: MtuScenario, blackhole: bool) -> None:
    """client -1500- r1 -1400- r2 -1500- server, with or without the black hole (build_mtu, build_mtu_tls)."""
    names = sc.chain(["c", "r1", "r2", "s"], mtus=[1500, 1400, 1500])
    sc.routers = names[1:3]
    for ns in (sc.client_ns, sc.server_ns):
        # Keep TCP from probing its way around the black hole (also the namespace default).
        ns_exec(ns, "sysctl", "-qw", "net.ipv4.tcp_mtu_probing=0")
    sc.info.update(path_mtu=1400, interface_mtu=1500)
    sc.set_blackhole(blackhole)


def build_mtu(blackhole: bool = True, profile: str = "clean", think_s: float | None = None) -> MtuScenario:
    """Scenario 3: client -1500- r1 -1400- r2 -1500- server; the black hole drops ICMP frag-needed."""
    sc = MtuScenario(f"mtu-{'blackhole' if blackhole else 'healthy'}")

    def build() -> None:
        _mtu_chain(sc, blackhole)
        sc.api_url = sc.start_lab(sc.server_ip, LAB_PORT, profile, think_s=think_s)

    _built(sc, build)
    return sc


NGINX_BROKEN = """\
            proxy_read_timeout {read_timeout}s;
"""
NGINX_FIXED = """\
            proxy_buffering off;
            proxy_cache off;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout {read_timeout}s;
"""
NGINX_CONF = """\
# Stream Doctor netlab: nginx as a reverse proxy in front of the lab API ({variant} config).
worker_processes 1;
error_log {dir}/error.log notice;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
{gzip}    server {{
        listen {listen};
        location / {{
            proxy_pass http://127.0.0.1:{upstream_port};
{location}        }}
    }}
}}
"""


class NginxScenario(Scenario):
    nginx_conf: Path
    nginx_dir: Path
    nginx: ManagedProcess

    @property
    def error_log(self) -> Path:
        return self.nginx_dir / "error.log"

    @property
    def access_log(self) -> Path:
        return self.nginx_dir / "access.log"

    def nginx_argv(self, *extra: str) -> list[str]:
        return [tool("nginx") or "nginx", "-p", str(self.nginx_dir), "-c", str(self.nginx_conf),
                "-e", str(self.error_log), *extra]

    def reload(self, timeout: float = 10.0) -> None:
        """Check the (edited) config, SIGHUP the master, and wait until only new workers serve."""
        test = ns_exec(self.server_ns, *self.nginx_argv("-t", "-g", f"pid {self.nginx_dir}/nginx.pid;"),
                       check=False)
        if test.returncode != 0:
            raise NetlabError(f"nginx rejected {self.nginx_conf}: {test.stderr.strip()}")
        old = set(_children(self.nginx.pid))
        self.nginx.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while True:  # bounded poll: nginx signals a finished reload only through its process table
            kids = set(_children(self.nginx.pid))
            if kids and not (kids & old):
                return
            if time.monotonic() > deadline or not self.nginx.running():
                raise NetlabError(f"nginx did not finish reloading within {timeout} s; see {self.error_log}")
            time.sleep(0.05)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


NGINX_PORT = 8081


def build_nginx(buffering: bool = True, read_timeout_s: int | None = None, profile: str = "clean",
                think_s: float | None = None, header_delay_s: float | None = None,
                gzip: bool = False) -> NginxScenario:
    """Scenario 4: real nginx in the server ns in front of the lab API (on the server's loopback).

    gzip=True adds `gzip on; gzip_types text/event-stream;`: measured on nginx 1.22, proxy_buffering on alone
    passes SSE through to a client that keeps reading; compressing the buffered event stream holds it back.
    """
    timeout = read_timeout_s if read_timeout_s is not None else (3 if buffering else 600)
    sc = NginxScenario(f"nginx-{'buffering' if buffering else 'fixed'}{'-gzip' if gzip else ''}-{timeout}s")

    def build() -> None:
        sc.chain(["c", "s"])
        lab_url = sc.start_lab("127.0.0.1", LAB_PORT, profile, think_s=think_s, header_delay_s=header_delay_s)
        sc.nginx_dir = sc.workdir / "nginx"
        (sc.nginx_dir / "tmp").mkdir(parents=True)
        sc.nginx_dir.chmod(0o755)
        sc.nginx_conf = sc.nginx_dir / "nginx.conf"
        location = (NGINX_BROKEN if buffering else NGINX_FIXED).format(read_timeout=timeout)
        sc.nginx_conf.write_text(NGINX_CONF.format(
            variant="broken" if buffering else "fixed", dir=sc.nginx_dir, listen=f"{sc.server_ip}:{NGINX_PORT}",
            upstream_port=LAB_PORT, location=location,
            gzip="    gzip on;\n    gzip_types text/event-stream;\n" if gzip else "",
        ))
        sc.nginx = sc.spawn(sc.server_ns, sc.nginx_argv("-g", f"daemon off; pid {sc.nginx_dir}/nginx.pid;"),
                            "nginx")
        wait_port(sc.server_ns, sc.server_ip, NGINX_PORT, what="nginx")
        sc.api_url = f"http://{sc.server_ip}:{NGINX_PORT}"
        sc.info.update(upstream=lab_url, buffering=buffering, read_timeout_s=timeout, gzip=gzip)

    _built(sc, build)
    return sc


SQUID_PORT = 3128
SQUID_USER = ("labuser", "labpass")
SQUID_CONF = """\
# Stream Doctor netlab: squid as the corporate proxy ({mode}). Own instance: -f this file -N.
http_port {listen}{bump}
pid_filename {dir}/run/squid.pid
cache_log {dir}/logs/cache.log
access_log stdio:{dir}/logs/access.log
cache_store_log none
coredump_dir {dir}/cache
cache deny all
cache_effective_user proxy
visible_hostname netlab-squid
pinger_enable off
dns_nameservers 127.0.0.1
hosts_file {dir}/hosts
shutdown_lifetime 1 second
{tls}
read_timeout {read_timeout} seconds
client_idle_pconn_timeout {pconn_timeout} seconds
request_start_timeout 20 seconds
{auth}
acl labclients src {client_net}
acl CONNECT method CONNECT
http_access allow labclients
http_access allow localhost
http_access deny all
"""
SQUID_BUMP_PORT = " ssl-bump tls-cert={dir}/ca/bump-ca.pem tls-key={dir}/ca/bump-ca.key " \
                  "generate-host-certificates=on dynamic_cert_mem_cache_size=4MB"
SQUID_TLS = """\
sslcrtd_program {certgen} -s {dir}/ssl_db -M 4MB
sslcrtd_children 3 startup=1 idle=1
tls_outgoing_options cafile={dir}/ca/origin-ca.pem
acl step1 at_step SslBump1
ssl_bump peek step1
ssl_bump bump all
"""
SQUID_AUTH = """\
auth_param basic program {basic_auth} {dir}/htpasswd
auth_param basic children 2 startup=1 idle=1
auth_param basic realm netlab
acl authed proxy_auth REQUIRED
http_access deny !authed
"""


class SquidScenario(Scenario):
    mode: str
    proxy_url: str
    proxy_url_with_credentials: str
    credentials: tuple[str, str] | None
    origin_ca_pem: Path
    squid_dir: Path
    squid: ManagedProcess

    @property
    def access_log(self) -> Path:
        return self.squid_dir / "logs" / "access.log"

    @property
    def cache_log(self) -> Path:
        return self.squid_dir / "logs" / "cache.log"


def _apr1_htpasswd(user: str, password: str) -> str:
    proc = sh("openssl", "passwd", "-apr1", password)
    return f"{user}:{proc.stdout.strip()}\n"


def build_squid(mode: str = "auth", read_timeout_s: int = 5, profile: str = "clean",
                think_s: float | None = None) -> SquidScenario:
    """Scenario 5: real squid in the server ns as the corporate proxy; the origin is the lab API over TLS."""
    if mode not in ("auth", "bump", "tunnel"):
        raise ValueError(f"squid mode must be 'auth', 'bump' or 'tunnel', not {mode!r}")
    sc = SquidScenario(f"squid-{mode}-{read_timeout_s}s")

    def build() -> None:
        sc.chain(["c", "s"])
        d = sc.squid_dir = sc.workdir / "squid"
        for sub in ("ca", "logs", "run", "cache"):
            (d / sub).mkdir(parents=True)
        d.chmod(0o755)
        (d / "ca").chmod(0o755)
        origin_ca = make_ca(d / "ca" / "origin-ca", "NetLab Origin CA")
        origin_leaf = make_leaf(d / "ca" / "api", origin_ca, [API_NAME])
        sc.origin_ca_pem = origin_ca[0]
        sc.start_lab("127.0.0.1", TLS_PORT, profile, think_s=think_s, tls=origin_leaf, url_host=API_NAME)
        (d / "hosts").write_text(f"127.0.0.1 {API_NAME}\n")
        bump, tls, auth = "", "", ""
        if mode == "bump":
            bump_ca = make_ca(d / "ca" / "bump-ca", "NetLab Squid Bump CA")
            sh("chgrp", "proxy", str(bump_ca[1]))
            bump_ca[1].chmod(0o640)
            sh(str(SQUID_CERTGEN), "-c", "-s", str(d / "ssl_db"), "-M", "4MB")
            bump = SQUID_BUMP_PORT.format(dir=d)
            tls = SQUID_TLS.format(certgen=SQUID_CERTGEN, dir=d)
            sc.ca_pem = bump_ca[0]
        else:
            sc.ca_pem = origin_ca[0]
        if mode == "auth":
            (d / "htpasswd").write_text(_apr1_htpasswd(*SQUID_USER))
            auth = SQUID_AUTH.format(basic_auth=SQUID_BASIC_AUTH, dir=d)
            sc.credentials = SQUID_USER
        else:
            sc.credentials = None
        for f in d.rglob("*"):
            if f.is_file() and f.suffix != ".key":
                f.chmod(0o644)
        sh("chown", "-R", "proxy:proxy", str(d / "logs"), str(d / "run"), str(d / "cache"),
           *([str(d / "ssl_db")] if mode == "bump" else []))
        conf = d / "squid.conf"
        conf.write_text(SQUID_CONF.format(
            mode=mode, listen=f"{sc.server_ip}:{SQUID_PORT}", bump=bump, dir=d, tls=tls, auth=auth,
            read_timeout=read_timeout_s, pconn_timeout=max(2 * read_timeout_s, 6),
            client_net=f"{sc.subnet(0)}0/24",
        ))
        conf.chmod(0o644)
        parse = ns_exec(sc.server_ns, "squid", "-k", "parse", "-f", str(conf), check=False)
        if parse.returncode != 0:
            raise NetlabError(f"squid rejected {conf}: {parse.stderr.strip()[-1500:]}")
        # Killed outright at teardown: its state dies with the workdir, and a polite shutdown costs 2-3 s.
        sc.squid = sc.spawn(sc.server_ns, [tool("squid") or "squid", "-f", str(conf), "-N", "-d1"], "squid",
                            stop_signal=signal.SIGKILL)
        sc.squid.wait_for(r"Accepting (SSL bumped )?HTTP Socket connections", timeout=20)
        wait_port(sc.server_ns, sc.server_ip, SQUID_PORT, what="squid")  # it logs that line a moment early
        sc.mode = mode
        sc.proxy_url = f"http://{sc.server_ip}:{SQUID_PORT}"
        user = f"{SQUID_USER[0]}:{SQUID_USER[1]}@" if mode == "auth" else ""
        sc.proxy_url_with_credentials = f"http://{user}{sc.server_ip}:{SQUID_PORT}"
        sc.api_url = f"https://{API_NAME}:{TLS_PORT}"
        sc.info.update(read_timeout_s=read_timeout_s)

    _built(sc, build)
    return sc


def build_dns_failure(mode: str = "refused") -> Scenario:
    """Scenario 6a: a working lab API the client cannot resolve: its nameserver refuses or drops queries."""
    if mode not in ("refused", "timeout"):
        raise ValueError(f"dns failure mode must be 'refused' or 'timeout', not {mode!r}")
    sc = Scenario(f"dns-{mode}")

    def build() -> None:
        sc.chain(["c", "s"])
        sc.start_lab(sc.server_ip, LAB_PORT)
        if mode == "timeout":
            sh("ip", "netns", "exec", sc.server_ns, "iptables", "-w", "-A", "INPUT", "-p", "udp", "--dport", "53",
               "-j", "DROP")
        # Nothing listens on the server's port 53: "refused" comes back as ICMP port unreachable at once.
        sc.isolate_client_names(nameserver=sc.server_ip)
        sc.api_url = f"http://{API_NAME}:{LAB_PORT}"
        sc.info.update(nameserver=sc.server_ip, mode=mode)

    _built(sc, build)
    return sc


PORTAL_PORT = 80


class _PortalHandler:
    """Every request gets 302 to the portal's login page; the login page itself answers 200 with HTML."""

    @staticmethod
    def make() -> type:
        from http.server import BaseHTTPRequestHandler

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(min(length, 1 << 20))
                if self.path.startswith("/login"):
                    body = b"<html><body><h1>Lab Wi-Fi</h1><p>Sign in to continue.</p></body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                else:
                    body = b"<html><body>Redirecting to the login page</body></html>"
                    self.send_response(302)
                    self.send_header("Location", f"http://{PORTAL_NAME}/login?continue={self.path}")
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_PUT = _answer  # noqa: N815  (http.server's naming)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
                pass

        return Handler


def build_captive_portal() -> Scenario:
    """Scenario 6b: the API's name resolves to a captive portal that redirects every request to its login."""
    from http.server import ThreadingHTTPServer

    sc = Scenario("captive-portal")

    def build() -> None:
        sc.chain(["c", "s"])
        with netns(sc.server_ns):
            server = ThreadingHTTPServer((sc.server_ip, PORTAL_PORT), _PortalHandler.make())
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()

        sc.on_close("captive portal", stop)
        sc.isolate_client_names({API_NAME: sc.server_ip, PORTAL_NAME: sc.server_ip})
        sc.api_url = f"http://{API_NAME}"
        sc.info["portal_url"] = f"http://{PORTAL_NAME}/login"

    _built(sc, build)
    return sc


def build_tls_api(profile: str = "clean", think_s: float | None = None) -> Scenario:
    """Scenario 7: the lab API over TLS with a test CA, reached by name (api.lab.test) from the client."""
    sc = Scenario(f"tls-api-{profile}")

    def build() -> None:
        sc.chain(["c", "s"])
        ca = make_ca(sc.workdir / "lab-ca", "NetLab Test CA")
        leaf = make_leaf(sc.workdir / "api", ca, [API_NAME])
        sc.ca_pem = ca[0]
        sc.start_lab(sc.server_ip, TLS_PORT, profile, think_s=think_s, tls=leaf, url_host=API_NAME)
        sc.isolate_client_names({API_NAME: sc.server_ip})
        sc.api_url = f"https://{API_NAME}:{TLS_PORT}"

    _built(sc, build)
    return sc


# --- raw-check helpers (no product code) -------------------------------------------------------------------


def read_http_head(sock: socket.socket | ssl.SSLSocket, limit: int = 65536) -> bytes:
    """Read up to the end of an HTTP header block (a proxy's CONNECT answer, a response head)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
        if len(buf) > limit:
            break
    return buf


def status_code(head: bytes) -> int:
    first = head.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) >= 2 and first[1].isdigit() else 0


def wait_closed(sock: socket.socket | ssl.SSLSocket, timeout: float) -> tuple[str, float]:
    """Read until the peer ends the connection: ("fin"|"reset"|"tls_eof"|"timeout", seconds waited)."""
    t0 = time.monotonic()
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return "fin", time.monotonic() - t0
    except ConnectionResetError:
        return "reset", time.monotonic() - t0
    except ssl.SSLEOFError:
        return "tls_eof", time.monotonic() - t0
    except TimeoutError:
        return "timeout", time.monotonic() - t0
    except OSError as exc:
        if exc.errno == errno.ECONNRESET:
            return "reset", time.monotonic() - t0
        raise




def messages_request(host: str, max_tokens: int = 200, stream: bool = True, keep_alive: bool = False,
                     extra_headers: str = "") -> bytes:
    """A raw POST /v1/messages for the lab API (the lab key; the Host header carries the port)."""
    body = json.dumps({"model": "claude-sonnet-5-5", "max_tokens": max_tokens, "stream": stream,
                       "messages": [{"role": "user", "content": "netlab raw check"}]}).encode()
    head = (f"POST /v1/messages HTTP/1.1\r\nHost: {host}\r\nx-api-key: {LAB_API_KEY}\r\n"
            f"anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            f"connection: {'keep-alive' if keep_alive else 'close'}\r\n{extra_headers}\r\n")
    return head.encode() + body


class Arrivals:
    """When the bytes of a raw response arrived: for burst shares and timeouts, without the product's code."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.chunks: list[tuple[float, int]] = []
        self.ending = ""
        self.data = b""

    @property
    def total(self) -> int:
        return sum(n for _, n in self.chunks)

    @property
    def duration(self) -> float:
        return self.chunks[-1][0] - self.chunks[0][0] if self.chunks else 0.0

    def status(self) -> int:
        return status_code(self.data)

    def burst_share(self, window_s: float = 0.1) -> float:
        """Largest share of all bytes that arrived within any `window_s` window (1.0 = one lump)."""
        best, lo, acc = 0, 0, 0
        for t, n in self.chunks:
            acc += n
            while self.chunks[lo][0] < t - window_s:
                acc -= self.chunks[lo][1]
                lo += 1
            best = max(best, acc)
        return best / self.total if self.total else 0.0


def read_arrivals(sock: socket.socket | ssl.SSLSocket, timeout: float) -> Arrivals:
    """Read until the connection ends or `timeout` seconds pass with nothing arriving; time every chunk."""
    a = Arrivals()
    sock.settimeout(timeout)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                a.ending = "fin"
                break
            a.chunks.append((time.monotonic() - a.t0, len(chunk)))
            a.data += chunk
            if len(a.data) > 8 << 20:
                a.ending = "too_much"
                break
    except ConnectionResetError:
        a.ending = "reset"
    except ssl.SSLEOFError:
        a.ending = "tls_eof"
    except TimeoutError:
        a.ending = "timeout"
    return a


# --- product-level helpers ----------------------------------------------------------------------------------


def check_args(idle_max_s: float = 2.0, stall_s: float | None = None, ca_file: Path | None = None) -> list[str]:
    """`check` options scaled for the lab: the idle test's ladder stops at `idle_max_s` (its default is 420 s),
    the stream's stall limit is `stall_s` (default 60 s), `ca_file` is trusted as the API's genuine root."""
    args = ["--probe-option", "idle_min_s=1", "--probe-option", f"idle_max_s={idle_max_s}"]
    if stall_s is not None:
        args += ["--probe-option", f"stall_timeout_s={stall_s}"]
    if ca_file is not None:
        args += ["--ca-file", str(ca_file)]
    return args


def probe_result(report: Mapping[str, Any], name: str) -> dict[str, Any]:
    for r in report.get("results", []):
        if r.get("probe") == name:
            return dict(r)
    raise AssertionError(f"no '{name}' result in the report: {[r.get('probe') for r in report.get('results', [])]}")


def findings(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The verdict's findings by cause."""
    return {f["cause"]: f for f in report.get("verdict", {}).get("findings", [])}


# --- experiment-matrix scenarios (issue 16) ---------------------------------------------------------------


def _v6_prefix(sc: Scenario, j: int) -> str:
    """2001:db8:X:j:: for link j: the documentation prefix, unique per scenario within the run. A global-looking
    prefix (not fd00::/8) so the client's resolver orders IPv6 before IPv4 (RFC 6724), as on a real dual-stack
    network; the addresses exist only in this run's namespaces."""
    return f"2001:db8:{(_SUBNET_BASE * 64 + sc.index) & 0xffff:x}:{j}::"


def _add_ipv6(sc: Scenario, names: Sequence[str]) -> tuple[str, str]:
    """IPv6 on every link of a chain built by Scenario.chain (same device names), routes end to end through a
    single router; returns (client address, server address)."""
    if len(names) != 3:
        raise NetlabError("IPv6 is wired for client / router / server chains only")
    for j in range(2):
        left, right = f"v{RUN_ID[2:]}{sc.index}{j}a", f"v{RUN_ID[2:]}{sc.index}{j}b"
        for ns, dev, host in ((names[j], left, 1), (names[j + 1], right, 2)):
            ns_exec(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0")
            sh("ip", "-n", ns, "-6", "addr", "add", f"{_v6_prefix(sc, j)}{host}/64", "dev", dev, "nodad")
    ns_exec(names[1], "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
    sh("ip", "-n", names[0], "-6", "route", "add", "default", "via", f"{_v6_prefix(sc, 0)}2")
    sh("ip", "-n", names[2], "-6", "route", "add", "default", "via", f"{_v6_prefix(sc, 1)}1")
    return f"{_v6_prefix(sc, 0)}1", f"{_v6_prefix(sc, 1)}2"


def build_dual_stack(v6_blackhole: bool = True, profile: str = "clean") -> Scenario:
    """Scenario 8: client / router / server with IPv4 and IPv6; the lab API listens on both families and
    api.lab.test resolves to both (client hosts file). v6_blackhole: the router silently drops every forwarded
    IPv6 packet (ip6tables DROP) while IPv4 works, the broken-IPv6 network Claude Code does not fall back from.
    .server_ip6, .info["v6_blackhole"]; api_url = http://api.lab.test:8080."""
    sc = Scenario(f"dual-stack-{'v6-blackhole' if v6_blackhole else 'clean'}")

    def build() -> None:
        names = sc.chain(["c", "r", "s"])
        _, server6 = _add_ipv6(sc, names)
        sc.server_ip6 = server6  # type: ignore[attr-defined]
        if v6_blackhole:
            sh("ip", "netns", "exec", names[1], "ip6tables", "-w", "-A", "FORWARD", "-j", "DROP")
        # host "" = every address of the server namespace, IPv4 and IPv6 (asyncio binds one socket each)
        sc.start_lab("", LAB_PORT, profile, url_host=API_NAME)
        sc.isolate_client_names({API_NAME: sc.server_ip})
        with (Path("/etc/netns") / sc.client_ns / "hosts").open("a") as f:
            f.write(f"{server6} {API_NAME}\n")
        sc.api_url = f"http://{API_NAME}:{LAB_PORT}"
        sc.info.update(v6_blackhole=v6_blackhole, router_ns=names[1], server_ip6=server6)

    _built(sc, build)
    return sc


def build_upload_cut(limit_kb: int = 150, profile: str = "clean") -> Scenario:
    """Scenario 9: a box that resets a flow once `limit_kb` KB have been sent upstream (client to server):
    netfilter's connbytes match on the router (--connbytes-dir original, bytes of IP packets) with REJECT
    --reject-with tcp-reset, the way upload policing and DLP appliances cut large requests. Smaller requests
    pass untouched. .info["limit_bytes"]; api_url = http://SERVER_IP:8080."""
    sc = Scenario(f"upload-cut-{limit_kb}k")

    def build() -> None:
        _, router, _ = sc.chain(["c", "r", "s"])
        limit = limit_kb * 1024
        sh("ip", "netns", "exec", router, "iptables", "-w", "-A", "FORWARD", "-p", "tcp", "--dport", str(LAB_PORT),
           "-m", "connbytes", "--connbytes", f"{limit}:", "--connbytes-dir", "original", "--connbytes-mode",
           "bytes", "-j", "REJECT", "--reject-with", "tcp-reset")
        sc.info.update(limit_bytes=limit, router_ns=router)
        sc.api_url = sc.start_lab(sc.server_ip, LAB_PORT, profile)

    _built(sc, build)
    return sc


# --- the background watch (issue 18): two uplinks and a firewall cut that can be switched on and off ---------


class UplinksScenario(Scenario):
    """client with two uplinks to the router: "a" (eth0, the home network) and "b" (gpd0: named like
    GlobalProtect's adapter, so the product sees "a VPN is up" while it is), router, server with the lab API."""

    def _ip(self, *args: str) -> None:
        sh("ip", "-n", self.client_ns, *args)

    def use_uplink(self, which: str, drop_other: bool = False) -> None:
        """Move the client's default route to uplink `which`. The VPN adapter (b) is up only while it is used
        or kept; drop_other also takes the other uplink down (the old network is gone: its flows die)."""
        dev, gw = self.info["uplinks"][which]
        other = "b" if which == "a" else "a"
        odev, _ = self.info["uplinks"][other]
        self._ip("link", "set", dev, "up")
        self._ip("addr", "replace", self.info["client_addr"][which], "dev", dev)
        self._ip("route", "replace", "default", "via", gw, "dev", dev)
        if drop_other or other == "b":
            self._ip("link", "set", odev, "down")
        self.info["active"] = which

    def set_cut(self, mode: str | None) -> None:
        """A firewall cut on the router for every TCP packet forwarded: "reset" (REJECT tcp-reset), "drop", or
        None (switched off). Existing flows resume once it is off; their conntrack entries were kept."""
        if mode not in (None, "reset", "drop"):
            raise ValueError(f"cut mode must be reset, drop or None, not {mode!r}")
        router = self.info["router_ns"]
        ipt = ["ip", "netns", "exec", router, "iptables", "-w"]
        for old in ("reset", "drop"):
            rule = ["-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"] if old == "reset" else \
                ["-p", "tcp", "-j", "DROP"]
            while sh(*ipt, "-C", "FORWARD", *rule, check=False).returncode == 0:
                sh(*ipt, "-D", "FORWARD", *rule)
        if mode == "reset":
            sh(*ipt, "-I", "FORWARD", "1", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset")
        elif mode == "drop":
            sh(*ipt, "-I", "FORWARD", "1", "-p", "tcp", "-j", "DROP")
        self.info["cut"] = mode


def build_uplinks(profile: str = "clean") -> UplinksScenario:
    """Scenario: client --a-- router --- server, and client --b (gpd0)-- router; default route via a."""
    sc = UplinksScenario("uplinks")

    def build() -> None:
        c, r, s = sc.add_ns("c"), sc.add_ns("r"), sc.add_ns("s")
        sc.client_ns, sc.server_ns = c, s
        tag = f"{RUN_ID[2:]}{sc.index}"
        plan = (("a", c, "eth0", 0), ("b", c, "gpd0", 1), ("s", s, "eth0", 2))
        uplinks: dict[str, tuple[str, str]] = {}
        addrs: dict[str, str] = {}
        for role, ns, final, j in plan:
            left, right = f"w{tag}{j}x", f"w{tag}{j}y"
            net = sc.subnet(j)
            sh("ip", "link", "add", left, "netns", ns, "type", "veth", "peer", "name", right, "netns", r)
            sh("ip", "-n", ns, "link", "set", left, "name", final)
            sh("ip", "-n", ns, "addr", "add", f"{net}1/24", "dev", final)
            sh("ip", "-n", r, "addr", "add", f"{net}2/24", "dev", right)
            sh("ip", "-n", ns, "link", "set", final, "up")
            sh("ip", "-n", r, "link", "set", right, "up")
            if role in ("a", "b"):
                uplinks[role] = (final, f"{net}2")
                addrs[role] = f"{net}1/24"
        ns_exec(r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for key in ("all", "default"):  # the uplinks are asymmetric after a move; a strict check would drop them
            ns_exec(r, "sysctl", "-qw", f"net.ipv4.conf.{key}.rp_filter=0")
        sh("ip", "-n", s, "route", "add", "default", "via", f"{sc.subnet(2)}2")
        sc.server_ip = f"{sc.subnet(2)}1"
        sc.client_ip = f"{sc.subnet(0)}1"
        sc.info.update(router_ns=r, uplinks=uplinks, client_addr=addrs)
        sh("ip", "-n", c, "route", "add", "default", "via", uplinks["a"][1], "dev", "eth0")
        sh("ip", "-n", c, "link", "set", "gpd0", "down")
        sc.info["active"] = "a"
        sc.isolate_client_names()
        sc.api_url = sc.start_lab(sc.server_ip, LAB_PORT, profile)

    _built(sc, build)
    return sc


def build_mtu_tls(blackhole: bool = True) -> MtuScenario:
    """Scenario 3 over TLS: the same 1500/1400/1500 chain with the black hole, the lab API at
    https://api.lab.test:8443 with a test CA (.ca_pem), so the large TLS hello meets the black hole too."""
    sc = MtuScenario(f"mtu-tls-{'blackhole' if blackhole else 'healthy'}")

    def build() -> None:
        _mtu_chain(sc, blackhole)
        ca = make_ca(sc.workdir / "lab-ca", "NetLab Test CA")
        leaf = make_leaf(sc.workdir / "api", ca, [API_NAME])
        sc.ca_pem = ca[0]
        sc.start_lab(sc.server_ip, TLS_PORT, tls=leaf, url_host=API_NAME)
        sc.isolate_client_names({API_NAME: sc.server_ip})
        sc.api_url = f"https://{API_NAME}:{TLS_PORT}"

    _built(sc, build)
    return sc


# --- who cut it: resets and interception at a known hop (issue 19) -------------------------------------------

WHOCUT_MODES = ("clean", "router-reset", "client-reset", "server-reset", "intercept", "idle-reset", "stream-reset")
WHOCUT_STREAM_BYTES = 8000  # stream-reset: r1 resets a connection once the server sent this many bytes
WHOCUT_IDLE_S = 3  # idle-reset: r1's conntrack forgets a flow silent this long, then REJECTs its next packet
RELAY = HERE / "tcp_relay.py"
RELAY_PORT = 8090
# Only segments that carry a request (>= 100 bytes of IP packet) are reset, so handshakes complete and the
# reset answers the ClientHello or request, as a DPI box's does; SYNs (60 B) and bare ACKs (52 B) pass.
_DATA_ONLY = ["-m", "length", "--length", "100:65535"]


def build_whocut(mode: str = "router-reset") -> Scenario:
    """client -- r1 -- r2 -- server (the server 3 hops away), the lab API on server:8080 over plain HTTP.

    router-reset: r1 (hop 1) REJECTs requests to the API with tcp-reset in FORWARD.
    client-reset: the client's own OUTPUT chain does (a local security agent's stand-in).
    server-reset: the server's INPUT chain does (the server's own stack resets).
    intercept:    r1 REDIRECTs connections to the API to a TCP relay on r1 (a transparent proxy at hop 1).
    idle-reset:   r1 is build_firewall's conntrack firewall (flows silent WHOCUT_IDLE_S forgotten, their next
                  packet REJECTed with tcp-reset), one hop from the client and two from the server.
    stream-reset: r1 REJECTs (tcp-reset, to the client) the client's packets of a connection whose server already
                  sent WHOCUT_STREAM_BYTES (conntrack byte accounting): a DPI box cutting a streamed answer.
    .info: r1_ns, r2_ns, hop_addresses {1: r1's address toward the client, 2: r2's, 3: the server}.
    """
    if mode not in WHOCUT_MODES:
        raise ValueError(f"whocut mode must be one of {WHOCUT_MODES}, not {mode!r}")
    sc = Scenario(f"whocut-{mode}")

    def build() -> None:
        c, r1, r2, s = sc.chain(["c", "r1", "r2", "s"])
        sc.info.update(r1_ns=r1, r2_ns=r2, mode=mode,
                       hop_addresses={1: f"{sc.subnet(0)}2", 2: f"{sc.subnet(1)}2", 3: sc.server_ip})
        api = ["-p", "tcp", "-d", sc.server_ip, "--dport", str(LAB_PORT)]
        if mode == "router-reset":
            ns_exec(r1, "iptables", "-w", "-A", "FORWARD", *api, *_DATA_ONLY, "-j", "REJECT",
                    "--reject-with", "tcp-reset")
        elif mode == "client-reset":
            ns_exec(c, "iptables", "-w", "-A", "OUTPUT", *api, *_DATA_ONLY, "-j", "REJECT",
                    "--reject-with", "tcp-reset")
        elif mode == "server-reset":
            ns_exec(s, "iptables", "-w", "-A", "INPUT", *api, *_DATA_ONLY, "-j", "REJECT",
                    "--reject-with", "tcp-reset")
        elif mode == "idle-reset":
            ipt = ["ip", "netns", "exec", r1, "iptables", "-w"]
            sh(*ipt, "-A", "FORWARD", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
            sh(*ipt, "-A", "FORWARD", "-p", "tcp", "--syn", "-m", "conntrack", "--ctstate", "NEW", "-j", "ACCEPT")
            sh(*ipt, "-A", "FORWARD", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset")
            ns_exec(r1, "sysctl", "-qw", f"net.netfilter.nf_conntrack_tcp_timeout_established={WHOCUT_IDLE_S}")
            ns_exec(r1, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0")
        elif mode == "stream-reset":
            ns_exec(r1, "iptables", "-w", "-A", "FORWARD", *api, "-m", "connbytes", "--connbytes",
                    f"{WHOCUT_STREAM_BYTES}:", "--connbytes-dir", "reply", "--connbytes-mode", "bytes",
                    "-j", "REJECT", "--reject-with", "tcp-reset")
            # Byte counters per flow; the sysctl exists once the rule above has loaded conntrack in r1.
            ns_exec(r1, "sysctl", "-qw", "net.netfilter.nf_conntrack_acct=1")
        elif mode == "intercept":
            relay = sc.spawn(r1, [PY, str(RELAY), "--listen", str(RELAY_PORT), "--to",
                                  f"{sc.server_ip}:{LAB_PORT}"], "relay")
            relay.wait_for(r"^relay listening", timeout=15)
            ns_exec(r1, "iptables", "-w", "-t", "nat", "-A", "PREROUTING", *api, "-j", "REDIRECT",
                    "--to-ports", str(RELAY_PORT))
        sc.api_url = sc.start_lab(sc.server_ip, LAB_PORT, "clean")

    _built(sc, build)
    return sc
