"""TLS for the lab: a throwaway CA and a leaf for localhost, 127.0.0.1 and ::1, made fresh for each run.

The lab must be addressed by name over TLS so the DNS, TLS, ClientHello and HTTP probes test it exactly as they
test the real API. The CA is never installed anywhere: its PEM goes to a private temp file that the probes are
told about (ProbeContext.ca_file) and that is deleted when the lab stops or the process exits. The private keys
never touch the disk for longer than it takes OpenSSL to load them.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import os
import ssl
import tempfile
from types import TracebackType
from typing import TYPE_CHECKING

from ..x509 import X509Error, certgen, load_pem

if TYPE_CHECKING:
    from .profiles import LabProfile

LAB_CA_NAME = "Stream Doctor Lab CA (this run only)"
LAB_NAMES = ("localhost",)
LAB_ADDRESSES = ("127.0.0.1", "::1")


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
        fd, self.ca_file = tempfile.mkstemp(prefix="streamdoctor-lab-ca-", suffix=".pem")
        with os.fdopen(fd, "w") as f:
            f.write(self.ca_pem)
        atexit.register(self.close)

    def server_context(self) -> ssl.SSLContext:
        """A server SSLContext presenting the leaf (the lab speaks HTTP/1.1 only, so ALPN offers just that)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.set_alpn_protocols(["http/1.1"])
        # load_cert_chain only takes paths: write the pair to a private temp dir and delete it at once.
        with tempfile.TemporaryDirectory(prefix="streamdoctor-lab-") as tmp:
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
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.ca_file)
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

    try:
        with open(path, "rb") as f:
            certs = load_pem(f.read())
    except (OSError, X509Error) as exc:
        raise UserError(f"--ca-file {path}: not a readable PEM certificate file ({exc}); give the CA's .pem") from None
    if not certs:
        raise UserError(f"--ca-file {path}: no certificate in it; give the CA's .pem")
    return os.path.abspath(path)
