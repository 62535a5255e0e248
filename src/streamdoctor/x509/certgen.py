"""Build the lab's certificates: a self-signed P-256 CA and a leaf it signs, as PEM that Python's ssl loads.

Why: the lab serves TLS under a real name so the probes test it as they test the real API; it needs a CA the
probes are told to trust and a leaf for localhost and its addresses. The shapes follow what a public CA issues
(RFC 5280): the CA has basicConstraints cA (critical, pathLen 0), keyUsage keyCertSign+cRLSign (critical) and a
subjectKeyIdentifier; the leaf has the SANs, basicConstraints cA=false (critical), extendedKeyUsage serverAuth and
an authorityKeyIdentifier. Key identifiers are SHA-1 of the public key bits (RFC 5280 4.2.1.2 method 1).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import secrets
import ssl
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from . import der
from .ec import OID_ECDSA_SHA256, PrivateKey

OID_CN, OID_O = "2.5.4.3", "2.5.4.10"
OID_BASIC_CONSTRAINTS, OID_KEY_USAGE, OID_SAN = "2.5.29.19", "2.5.29.15", "2.5.29.17"
OID_SKI, OID_AKI, OID_EKU = "2.5.29.14", "2.5.29.35", "2.5.29.37"
OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
# keyUsage as a DER named-bit BIT STRING: keyCertSign (bit 5) and cRLSign (bit 6) -> 0000 0110, 1 unused bit.
KEY_USAGE_CERT_AND_CRL_SIGN = der.bit_string(b"\x06", unused=1)
# RFC 5280 4.1.2.2: serials up to 20 octets; 159 random bits keep it positive and within that, like OpenSSL's.
SERIAL_BITS = 159


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key, both PEM."""

    cert_pem: str
    key_pem: str
    der: bytes


def pem(label: str, data: bytes) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(data).decode(), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def make_ca(common_name: str, organization: str, not_before: dt.datetime, not_after: dt.datetime,
            key: PrivateKey | None = None) -> tuple[Issued, PrivateKey, bytes]:
    """A self-signed CA. Returns the issued pair, its key and its subject Name DER (the leaf's issuer)."""
    key = key or PrivateKey.generate()
    subject = name(common_name, organization)
    extensions = [
        extension(OID_BASIC_CONSTRAINTS, der.seq(der.boolean(True), der.integer(0)), critical=True),
        extension(OID_KEY_USAGE, KEY_USAGE_CERT_AND_CRL_SIGN, critical=True),
        extension(OID_SKI, der.octet_string(key_identifier(key))),
    ]
    cert = _sign(subject, subject, key, key, not_before, not_after, extensions)
    return Issued(ssl.DER_cert_to_PEM_cert(cert), pem("PRIVATE KEY", key.pkcs8_der()), cert), key, subject


def make_leaf(issuer: bytes, issuer_key: PrivateKey, names: Sequence[str], addresses: Sequence[str],
              not_before: dt.datetime, not_after: dt.datetime, key: PrivateKey | None = None) -> Issued:
    """A server certificate for `names` (dNSName) and `addresses` (iPAddress) signed by the CA."""
    key = key or PrivateKey.generate()
    if not names and not addresses:
        raise ValueError("a leaf needs at least one name or address")
    sans = [der.ia5_string_implicit(2, n) for n in names]
    sans += [der.tlv(0x87, ipaddress.ip_address(a).packed) for a in addresses]
    extensions = [
        extension(OID_SAN, der.seq(*sans)),
        extension(OID_BASIC_CONSTRAINTS, der.seq(), critical=True),
        extension(OID_EKU, der.seq(der.oid(OID_SERVER_AUTH))),
        extension(OID_AKI, der.seq(der.tlv(0x80, key_identifier(issuer_key)))),
    ]
    cert = _sign(name(names[0] if names else addresses[0]), issuer, key, issuer_key, not_before, not_after,
                 extensions)
    return Issued(ssl.DER_cert_to_PEM_cert(cert), pem("PRIVATE KEY", key.pkcs8_der()), cert)


def name(common_name: str, organization: str = "") -> bytes:
    """A Name with CN (and O) as UTF8String, one attribute per RDN."""
    rdns = [der.set_of(der.seq(der.oid(OID_CN), der.utf8_string(common_name)))]
    if organization:
        rdns.append(der.set_of(der.seq(der.oid(OID_O), der.utf8_string(organization))))
    return der.seq(*rdns)


def extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    return der.seq(der.oid(oid), *([der.boolean(True)] if critical else []), der.octet_string(value))


def key_identifier(key: PrivateKey) -> bytes:
    return hashlib.sha1(key.public_point(), usedforsecurity=False).digest()


def time(t: dt.datetime) -> bytes:
    """UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5), whole seconds, UTC."""
    t = t.astimezone(dt.UTC)
    if 1950 <= t.year < 2050:
        return der.tlv(0x17, t.strftime("%y%m%d%H%M%SZ").encode())
    return der.tlv(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())


def _sign(subject: bytes, issuer: bytes, key: PrivateKey, issuer_key: PrivateKey, not_before: dt.datetime,
          not_after: dt.datetime, extensions: list[bytes]) -> bytes:
    algorithm = der.seq(der.oid(OID_ECDSA_SHA256))  # RFC 5758 3.2: parameters absent
    tbs = der.seq(
        der.context(0, der.integer(2)),  # v3
        der.integer(secrets.randbits(SERIAL_BITS) | 1),
        algorithm, issuer, der.seq(time(not_before), time(not_after)), subject, key.spki_der(),
        der.context(3, der.seq(*extensions)),
    )
    return der.seq(tbs, algorithm, der.bit_string(issuer_key.sign(tbs)))
