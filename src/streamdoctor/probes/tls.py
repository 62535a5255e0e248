"""TLS: who answers for the API host, with which certificate chain, and who vouches for it.

Up to four handshakes run side by side over the path the clients take (direct or through their proxy):
one that accepts anything (to record version, cipher, ALPN and the presented chain), one against Mozilla's
roots (certifi, what Node and Claude Code trust by default), one against the OS store (truststore, what the
Python SDK and browsers trust), and one against an extra CA the caller names (the lab's throwaway CA, a test
CA). "Fails Mozilla, passes the OS store" means a CA installed by IT re-signs the connection: TLS inspection.
The inspector is named from a data table of known interception CAs, and its root PEM is kept so a fix can
hand it to the clients that need it (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from ..cancel import CancelToken
from ..errors import Cancelled
from ..i18n import N_, _
from ..model import Evidence, ProbeResult, Status
from ..urls import is_loopback
from ..x509 import Certificate, X509Error, load_der, load_pem
from ..x509.cert import OID_COMMON_NAME, OID_ORGANIZATION
from .base import ProbeContext, Progress, ProgressCallback, run_threads
from .netpath import PathError, open_route

MAX_CHAIN = 10


class TLSProbe:
    name = "tls"
    title = N_("Secure connection (TLS)")
    needs: tuple[str, ...] = ("env.proxy",)  # the proxy the clients use, as the scan refined it
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        if not ctx.is_tls:
            return ProbeResult(self.name, Status.SKIPPED, _("{url} is plain HTTP: no TLS to check", url=ctx.base_url),
                               {"inspected": False, "inspector": None, "issuer": "", "root_pem": None,
                                "verify_mozilla": None, "verify_os": None, "skipped": True, "plain_http": True,
                                "loopback": is_loopback(ctx.base_url), "key_sent": bool(ctx.api_key),
                                "consented": bool(ctx.options.get("plain_http_consented"))})
        progress(Progress(self.name, None, _("TLS handshakes with {host}", host=ctx.host)))
        contexts: dict[str, Callable[[], ssl.SSLContext]] = {
            "inspect": _accept_anything_context, "mozilla": _mozilla_context, "os": _os_context,
        }
        if ctx.ca_file:
            contexts["ca_file"] = functools.partial(_ca_file_context, ctx.ca_file)
        outcomes: dict[str, dict[str, Any]] = {}
        threads = [threading.Thread(target=_handshake_into, args=(outcomes, key, make, ctx, cancel), daemon=True)
                   for key, make in contexts.items()]
        run_threads(threads, cancel)
        first = outcomes["inspect"]
        data: dict[str, Any] = {
            "host": ctx.host, "proxy": first.get("proxy"),
            "verify_mozilla": outcomes["mozilla"].get("ok", False),
            "verify_os": outcomes["os"].get("ok", False),
            "verify_ca_file": outcomes["ca_file"].get("ok", False) if "ca_file" in outcomes else None,
            "verify_errors": {k: v.get("error") for k, v in outcomes.items() if k != "inspect" and not v.get("ok")},
            "inspected": False, "inspector": None, "inspector_kind": None, "issuer": "", "root_pem": None,
            "root_subject": "", "untrusted": False,
        }
        if not first.get("ok"):
            data.update(error=first.get("error"), error_kind=first.get("kind"))
            return ProbeResult(self.name, Status.ERROR, _("Could not test TLS: {reason}", reason=first.get("error")),
                               data, [Evidence(_("TLS handshake"), first.get("error") or _("failed"))],
                               error=first.get("error", ""))
        chain = first["chain"]
        leaf = chain[0] if chain else {}
        data.update(
            version=first["version"], cipher=first["cipher"], alpn=first["alpn"], handshake_s=first["time_s"],
            chain=[{k: v for k, v in c.items() if k != "pem"} for c in chain],
            leaf_subject=leaf.get("subject", ""), leaf_names=leaf.get("names", []),
            issuer=leaf.get("issuer", ""), hostname_match=_matches_host(leaf.get("names", []), ctx.host),
        )
        root = _root_of(chain, outcomes["os"].get("verified_chain") or [], ctx.ca_file)
        data["root_subject"] = root.get("subject", "") if root else chain[-1].get("issuer", "")
        genuine = bool(data["verify_mozilla"] or data["verify_ca_file"])
        names = " | ".join([leaf.get("issuer", "")] + [c.get("subject", "") for c in chain[1:]] +
                           [data["root_subject"]])
        known = match_inspector(names)
        if not genuine and (data["verify_os"] or known):
            data["inspected"] = True
            data["inspector"] = known["name"] if known else _display_name(root) or leaf.get("issuer_cn") or "unknown"
            data["inspector_kind"] = known["kind"] if known else None
            data["root_pem"] = root.get("pem") if root else None
        elif not genuine:
            data["untrusted"] = True
        evidence = [
            Evidence(_("Protocol"), f"{first['version']}, {first['cipher']}, ALPN {first['alpn'] or 'none'}"),
            Evidence(_("Certificate for"), leaf.get("subject", "")),
            Evidence(_("Issued by"), leaf.get("issuer", "")),
            Evidence(_("Root"), data["root_subject"]),
            Evidence(_("Trusted by Mozilla's list (certifi)"), _yes_no(data["verify_mozilla"]), "",
                     data["verify_errors"].get("mozilla") or ""),
            Evidence(_("Trusted by this computer's store"), _yes_no(data["verify_os"]), "",
                     data["verify_errors"].get("os") or ""),
        ]
        if data["verify_ca_file"] is not None:
            evidence.append(Evidence(_("Trusted by the given CA file"), _yes_no(data["verify_ca_file"])))
        issuer = leaf.get("issuer_cn") or leaf.get("issuer")
        if data["inspected"]:
            summary = _("Inspected by {inspector} (issuer {issuer})", inspector=data["inspector"], issuer=issuer)
            status = Status.WARN
        elif data["untrusted"]:
            summary = _("Certificate not trusted: issued by {issuer}", issuer=leaf.get("issuer"))
            status = Status.FAIL
        else:
            summary = _("{version}, genuine certificate from {issuer}", version=first["version"], issuer=issuer)
            status = Status.OK
        if not data["hostname_match"]:
            summary = _("{summary}; the certificate is not for {host}", summary=summary, host=ctx.host)
            status = Status.FAIL
        return ProbeResult(self.name, status, summary, data, evidence)


def _accept_anything_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


# The verifying handshakes check the chain only: the name is checked once, separately (hostname_match), so a
# certificate for another name (a captive portal) is not mistaken for an untrusted chain.


def _mozilla_context() -> ssl.SSLContext:
    import certifi

    ctx = ssl.create_default_context(cafile=certifi.where())
    ctx.check_hostname = False
    return ctx


def _os_context() -> ssl.SSLContext:
    import truststore

    ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    return ctx


def _ca_file_context(ca_file: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.check_hostname = False
    return ctx


def _handshake_into(out: dict[str, dict[str, Any]], key: str, make: Callable[[], ssl.SSLContext],
                    ctx: ProbeContext, cancel: CancelToken) -> None:
    try:
        out[key] = handshake(make(), ctx, cancel, want_chain=key in ("inspect", "os"))
    except Cancelled:
        out[key] = {"ok": False, "kind": "cancelled", "error": "cancelled"}
    except Exception as exc:  # recorded, not raised
        out[key] = {"ok": False, "kind": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}


def handshake(sslctx: ssl.SSLContext, ctx: ProbeContext, cancel: CancelToken, want_chain: bool = True,
              timeout: float | None = None) -> dict[str, Any]:
    """One TLS handshake over the clients' path. Never raises for network trouble: the outcome says what
    happened ("ok", or kind: not-tls, closed, reset, timeout, verify, proxy-..., dns...)."""
    import time

    timeout = timeout or ctx.connect_timeout_s
    t0 = time.monotonic()
    try:
        route = open_route(ctx, cancel, timeout)
    except PathError as exc:
        return {"ok": False, "kind": exc.kind, "error": exc.detail, "stage": "connect"}
    sock = route.sock
    try:
        sock.settimeout(timeout)
        tls = sslctx.wrap_socket(sock, server_hostname=ctx.host.strip("[]"), do_handshake_on_connect=False)
        with cancel.closing(tls.close):
            t1 = time.monotonic()
            tls.do_handshake()
        out: dict[str, Any] = {
            "ok": True, "version": tls.version(), "cipher": (tls.cipher() or ("",))[0],
            "alpn": tls.selected_alpn_protocol(), "time_s": time.monotonic() - t1, "proxy": route.proxy,
            "total_s": time.monotonic() - t0,
        }
        if want_chain:
            out["chain"] = _chain(tls, verified=False)
            out["verified_chain"] = _chain(tls, verified=True)
        tls.close()
        return out
    except ssl.SSLCertVerificationError as exc:
        return {"ok": False, "kind": "verify", "error": exc.verify_message or str(exc), "proxy": route.proxy}
    except ssl.SSLError as exc:
        kind = "closed" if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError) else "not-tls"
        if "WRONG_VERSION_NUMBER" in str(exc) or "record layer failure" in str(exc):
            kind = "not-tls"
        return {"ok": False, "kind": kind, "error": _tls_error_text(kind, exc), "proxy": route.proxy}
    except (TimeoutError, OSError) as exc:
        if cancel.cancelled:
            raise Cancelled() from exc
        kind = ("timeout" if isinstance(exc, TimeoutError) else
                "reset" if isinstance(exc, ConnectionResetError) else "closed")
        return {"ok": False, "kind": kind, "error": _tls_error_text(kind, exc), "proxy": route.proxy}
    finally:
        sock.close()


_TLS_ERRORS = {
    "not-tls": N_("the server did not answer in TLS (a plain HTTP port, or something else in the API's place)"),
    "closed": N_("the connection was closed during the TLS handshake"),
    "reset": N_("the connection was reset during the TLS handshake"),
    "timeout": N_("no TLS answer in time (the handshake stalled)"),
}


def _tls_error_text(kind: str, exc: BaseException) -> str:
    technical = f"[{type(exc).__name__}: {exc}]"[:200]
    if kind in _TLS_ERRORS:
        # TRANSLATORS: {what} says what went wrong; {technical} is the system's own error, e.g. [SSLError: ...]
        return _("{what} {technical}", what=_(_TLS_ERRORS[kind]), technical=technical)
    return " " + technical


def _yes_no(value: bool | None) -> str:
    """A check's answer in words a user reads (the data keeps the boolean)."""
    return _("yes") if value else _("no")


def _chain(tls: ssl.SSLSocket, verified: bool) -> list[dict[str, Any]]:
    """The presented (or verified) chain, leaf first. Python 3.13 has the public method; 3.10-3.12 have it on
    the private _sslobj only, so both are tried and the leaf alone is the last resort."""
    name = "get_verified_chain" if verified else "get_unverified_chain"
    getter = getattr(tls, name, None) or getattr(getattr(tls, "_sslobj", None), name, None)
    certs: list[Certificate] = []
    try:
        if getter is not None:
            for c in getter() or []:
                certs.extend(load_pem(c.public_bytes()))  # PEM by default
    except (ssl.SSLError, X509Error, AttributeError, TypeError):
        certs = []
    if not certs and not verified:
        leaf = tls.getpeercert(binary_form=True)
        certs = [load_der(leaf)] if leaf else []
    return [describe_cert(c) for c in certs[:MAX_CHAIN]]


def describe_cert(cert: Certificate) -> dict[str, Any]:
    """The parts of a certificate an IT person checks, plus its PEM."""
    return {
        "subject": cert.subject.rfc4514(),
        "issuer": cert.issuer.rfc4514(),
        "subject_cn": cert.subject.get(OID_COMMON_NAME),
        "subject_org": cert.subject.get(OID_ORGANIZATION),
        "issuer_cn": cert.issuer.get(OID_COMMON_NAME),
        "issuer_org": cert.issuer.get(OID_ORGANIZATION),
        "names": list(cert.san_dns) + [str(a) for a in cert.san_ip],
        "not_before": cert.not_before.isoformat(),
        "not_after": cert.not_after.isoformat(),
        "sha256": hashlib.sha256(cert.der).hexdigest(),
        "is_ca": cert.is_ca,
        "self_signed": cert.self_signed,
        "pem": cert.pem(),
    }


def _display_name(cert: dict[str, Any] | None) -> str:
    if not cert:
        return ""
    return str(cert.get("subject_cn") or cert.get("subject_org") or cert.get("subject") or "")


def _matches_host(names: list[str], host: str) -> bool:
    """RFC 6125 matching of the certificate's SAN names against the host (one-label wildcards, IPs exact)."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for name in names:
        n = name.lower().rstrip(".")
        if ip is not None:
            try:
                if ipaddress.ip_address(n) == ip:
                    return True
            except ValueError:
                continue
            continue
        if n == host:
            return True
        if n.startswith("*.") and "." in host and host.split(".", 1)[1] == n[2:]:
            return True
    return False


@functools.lru_cache(maxsize=1)
def inspector_table() -> list[dict[str, Any]]:
    """The known TLS-inspection products (data/inspectors.json)."""
    text = resources.files("streamdoctor").joinpath("data/inspectors.json").read_text(encoding="utf-8")
    return list(json.loads(text)["inspectors"])


def match_inspector(names: str) -> dict[str, Any] | None:
    """The table entry whose pattern occurs in the given certificate names, or None."""
    low = names.lower()
    for entry in inspector_table():
        if any(p in low for p in entry["patterns"]):
            return entry
    return None


def _root_of(chain: list[dict[str, Any]], verified: list[dict[str, Any]], ca_file: str) -> dict[str, Any] | None:
    """The trust anchor: the verified chain's last certificate, a self-signed one at the top of the presented
    chain, or the issuer of the top certificate looked up in the local trust stores."""
    for candidate in (verified[-1:] if verified else []) + chain[-1:]:
        if candidate.get("self_signed"):
            return candidate
    if not chain:
        return None
    return find_in_stores(chain[-1], ca_file)


def find_in_stores(child: dict[str, Any], ca_file: str = "") -> dict[str, Any] | None:
    """Look for the certificate that issued `child` in the places the OS and the clients trust."""
    want = child.get("issuer")
    for cert in _store_certificates(ca_file):
        if cert.subject.rfc4514() == want:
            return describe_cert(cert)
    return None


def _store_certificates(ca_file: str) -> list[Certificate]:
    pems: list[bytes] = []
    paths = ssl.get_default_verify_paths()
    files = [ca_file, os.environ.get("SSL_CERT_FILE", ""), paths.cafile or "", paths.openssl_cafile or ""]
    for path in dict.fromkeys(f for f in files if f and os.path.isfile(f)):
        try:
            with open(path, "rb") as f:
                pems.append(f.read())
        except OSError:
            continue
    certs: list[Certificate] = []
    for blob in pems:
        certs.extend(load_pem(blob, skip_bad=True))  # one odd legacy root must not hide the rest of the store
    if sys.platform == "win32":
        for store in ("ROOT", "CA"):
            for der, encoding, _trust in ssl.enum_certificates(store):  # type: ignore[attr-defined]
                if encoding == "x509_asn":
                    try:
                        certs.append(load_der(der))
                    except X509Error:
                        continue
    elif sys.platform == "darwin":
        try:
            proc = subprocess.run(
                ["/usr/bin/security", "find-certificate", "-a", "-p",
                 "/Library/Keychains/System.keychain",
                 "/System/Library/Keychains/SystemRootCertificates.keychain"],
                capture_output=True, timeout=5, check=False)
            certs.extend(load_pem(proc.stdout, skip_bad=True))
        except (OSError, subprocess.TimeoutExpired, X509Error):
            pass
    return certs
