"""TLS for the lab: a throwaway CA and a leaf for localhost, 127.0.0.1 and ::1, made fresh for each run.

The lab must be addressed by name over TLS so the DNS, TLS, ClientHello and HTTP probes test it exactly as they
test the real API. The CA is never installed anywhere: its PEM goes to a private per-run folder in TMPDIR
(`streamdoctor-lab-PID-RANDOM`, mode 700) that the probes are told about (ProbeContext.ca_file). The private keys
never touch the disk for longer than it takes OpenSSL to load them, and only inside that folder.

The folder goes away (issue 14 item 10):
- when the lab stops or the process exits normally (close(), atexit);
- on SIGTERM and SIGHUP: handlers (installed only where nobody else set one) clean up, then exit as the signal
  would have (128 + signal number);
- after SIGKILL, which nothing can catch: the next lab start sweeps every `streamdoctor-lab-PID-*` folder of
  ours whose process is gone. (Keeping the PEM only in memory is not possible: the probes, and for `lab serve`
  the user's own clients, need a file they can name.)
A lab served for other computers (`lab serve --tls --host ADDR`) gets a leaf that also names ADDR, so the
printed https://ADDR:PORT verifies.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import ipaddress
import os
import re
import shutil
import signal
import ssl
import stat
import sys
import tempfile
import threading
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

from ..x509 import X509Error, certgen, load_pem

if TYPE_CHECKING:
    from .profiles import LabProfile

LAB_CA_NAME = "Stream Doctor Lab CA (this run only)"
LAB_NAMES = ("localhost",)
LAB_ADDRESSES = ("127.0.0.1", "::1")
RUN_DIR_PREFIX = "streamdoctor-lab-"
_RUN_DIR_RE = re.compile(r"^streamdoctor-lab-(\d+)-[A-Za-z0-9_]+$")
_LIVE: set[LabTLS] = set()  # the runs of this process, for the signal handlers
_LIVE_LOCK = threading.Lock()


def names_for_host(host: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(DNS names, IP addresses) a leaf must cover so that https://HOST:PORT verifies, on top of localhost,
    127.0.0.1 and ::1. A wildcard bind (0.0.0.0, ::) adds this computer's name (clients elsewhere use that)."""
    names, addresses = list(LAB_NAMES), list(LAB_ADDRESSES)
    host = host.strip().strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host and host.lower() not in names:
            names.append(host.lower())
        return tuple(names), tuple(addresses)
    if ip.is_unspecified:
        import socket

        with contextlib.suppress(OSError):
            own = socket.gethostname().lower()
            if own and own not in names:
                names.append(own)
    elif str(ip) not in addresses:
        addresses.append(str(ip))
    return tuple(names), tuple(addresses)


def sweep_stale_run_dirs(tmp: str | None = None) -> list[str]:
    """Remove lab run folders in TMPDIR left by a process that no longer exists (SIGKILL); only ours."""
    import psutil

    tmp = tmp or tempfile.gettempdir()
    removed: list[str] = []
    try:
        entries = os.listdir(tmp)
    except OSError:
        return removed
    for name in entries:
        m = _RUN_DIR_RE.match(name)
        if not m or psutil.pid_exists(int(m.group(1))):
            continue
        path = os.path.join(tmp, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "geteuid") and st.st_uid != os.geteuid()):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _cleanup_and_exit(signum: int, frame: FrameType | None) -> None:
    with _LIVE_LOCK:
        live = list(_LIVE)
    for tls in live:
        tls.close()
    raise SystemExit(128 + signum)


def _install_signal_handlers() -> None:
    """SIGTERM/SIGHUP remove this process's lab files before it exits (the CLI). Only from the main thread, and
    only where the handler is still the default: a program that handles these signals itself (lab serve) keeps
    its handler and closes the lab on its own way out."""
    if threading.current_thread() is not threading.main_thread():
        return
    if "PySide6.QtCore" in sys.modules:
        # A Qt event loop runs C++ code: a Python handler would wait for the next Python call, so SIGTERM could
        # be held up. The wizard keeps the OS default (the next lab start sweeps what a killed run left).
        return
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) in (signal.SIG_DFL, None):
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, _cleanup_and_exit)


class LabTLS:
    """A CA + leaf pair for one lab run. Use as a context manager; `ca_file` exists until close()."""

    def __init__(self, names: tuple[str, ...] = LAB_NAMES, addresses: tuple[str, ...] = LAB_ADDRESSES,
                 ca_name: str = LAB_CA_NAME, ca_org: str = "Stream Doctor lab") -> None:
        now = dt.datetime.now(dt.UTC)
        not_before, not_after = now - dt.timedelta(minutes=5), now + dt.timedelta(days=2)
        # ECDSA P-256 in pure Python (x509/ec.py): a fresh CA per run costs tens of milliseconds.
        ca, ca_key, ca_subject = certgen.make_ca(ca_name, ca_org, not_before, not_after)
        leaf = certgen.make_leaf(ca_subject, ca_key, names, addresses, not_before, not_after)
        self.ca_pem = ca.cert_pem
        self._leaf_pem = leaf.cert_pem.encode()
        self._leaf_key_pem = leaf.key_pem.encode()
        sweep_stale_run_dirs()
        # The handlers first, then the folder, known to them at once: a SIGTERM/SIGHUP that came between writing
        # the CA and installing the handlers killed the process with its CA left behind (seen in a CI run).
        _install_signal_handlers()
        self.run_dir = tempfile.mkdtemp(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-")  # mode 700
        with _LIVE_LOCK:
            _LIVE.add(self)
        atexit.register(self.close)
        self.ca_file = os.path.join(self.run_dir, "lab-ca.pem")
        with open(os.open(self.ca_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(self.ca_pem)

    def server_context(self) -> ssl.SSLContext:
        """A server SSLContext presenting the leaf (the lab speaks HTTP/1.1 only, so ALPN offers just that)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.set_alpn_protocols(["http/1.1"])
        # load_cert_chain only takes paths: write the pair into the run's private folder and delete it at once.
        with tempfile.TemporaryDirectory(prefix="server-", dir=self.run_dir) as tmp:
            ctx.load_cert_chain(*self.write_server_files(tmp))
        return ctx

    def write_server_files(self, directory: str) -> tuple[str, str]:
        """Write the leaf certificate and key (mode 600) into `directory` for a server that needs files (nginx
        in the tests). The caller owns and removes the directory."""
        cert_path, key_path = os.path.join(directory, "lab-leaf.pem"), os.path.join(directory, "lab-leaf.key")
        with open(cert_path, "wb") as f:
            f.write(self._leaf_pem)
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(self._leaf_key_pem)
        return cert_path, key_path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this run's CA (tests use it to talk to the lab)."""
        return ssl.create_default_context(cadata=self.ca_pem)

    def close(self) -> None:
        shutil.rmtree(self.run_dir, ignore_errors=True)
        with _LIVE_LOCK:
            _LIVE.discard(self)
        atexit.unregister(self.close)

    def __enter__(self) -> LabTLS:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def serves_tls(profile: LabProfile) -> bool:
    """Whether a lab profile can be served over TLS. The buffering fault proxy holds every server byte until the
    server closes, which would hold the ServerHello too and stall the handshake (a real buffering proxy
    terminates TLS itself); that one profile stays on plain HTTP."""
    from .faultproxy import Fault

    return profile.fault.fault is not Fault.BUFFER


def load_ca_file(path: str) -> str:
    """Check a user-given CA file (--ca-file) before the probes use it: one line of error if it is unusable."""
    from ..errors import UserError
    from ..i18n import _

    try:
        with open(path, "rb") as f:
            certs = load_pem(f.read())
    except (OSError, X509Error) as exc:
        raise UserError(_("--ca-file {path}: not a readable PEM certificate file ({error}); give the CA's .pem",
                          path=path, error=str(exc))) from None
    if not certs:
        raise UserError(_("--ca-file {path}: no certificate in it; give the CA's .pem", path=path))
    return os.path.abspath(path)
