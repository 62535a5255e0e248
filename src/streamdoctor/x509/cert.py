"""Parse an X.509 certificate (RFC 5280) into a typed, immutable dataclass, and PEM in and out.

Why: the TLS probe reports who issued the certificate a middlebox presents, its names, validity and fingerprint,
and keeps the inspector's root as PEM; the CA fixes check that a text really is a certificate. That is reading,
not verifying: OpenSSL (through Python's ssl module) does all chain and signature verification. The parse is
eager and strict (DER only, see der.py); any malformed input raises `X509Error` and nothing else.

Names print as RFC 4514 strings the way pyca's X.509 library prints them (the report, the inspector table
and the bundle were written against that output, and the tests compare the two on real certificates).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import re
import ssl
from dataclasses import dataclass

from . import der
from .der import Element, X509Error

OID_COMMON_NAME = "2.5.4.3"
OID_ORGANIZATION = "2.5.4.10"
OID_ORG_UNIT = "2.5.4.11"
OID_SAN = "2.5.29.17"
OID_BASIC_CONSTRAINTS = "2.5.29.19"

# The short names RFC 4514 (and pyca's rfc4514_string) use; any other attribute prints as its dotted OID.
_SHORT_NAMES = {
    "2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C",
    "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}
# A certificate bigger than this is not one a TLS server sends (the TLS record limit is 16 KiB per record and
# real chains are a few KiB); the cap keeps a hostile PEM bundle from costing unbounded work per entry.
MAX_CERT_BYTES = 256 * 1024
# A system bundle holds ~150-300 roots; a PEM text with more blocks than this is not a trust store.
MAX_PEM_CERTS = 5000

_PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----")

NameValue = str | bytes


@dataclass(frozen=True, slots=True)
class NameAttribute:
    oid: str
    value: NameValue


@dataclass(frozen=True, slots=True)
class Name:
    """A distinguished name: RDNs in encoded order, each a tuple of attributes (usually one)."""

    rdns: tuple[tuple[NameAttribute, ...], ...]

    def get(self, oid: str) -> str:
        """The first value for `oid` as text, or ''."""
        for rdn in self.rdns:
            for a in rdn:
                if a.oid == oid:
                    return a.value if isinstance(a.value, str) else a.value.hex()
        return ""

    def rfc4514(self) -> str:
        return ",".join("+".join(f"{_SHORT_NAMES.get(a.oid, a.oid)}={_escape(a.value)}" for a in rdn)
                        for rdn in reversed(self.rdns))

    def same_as(self, other: Name) -> bool:
        """Equal as names (attribute order inside an RDN does not matter)."""
        return [frozenset(r) for r in self.rdns] == [frozenset(r) for r in other.rdns]


@dataclass(frozen=True, slots=True)
class Extension:
    oid: str
    critical: bool
    value: bytes  # the DER inside extnValue


@dataclass(frozen=True, slots=True)
class Certificate:
    der: bytes
    version: int  # 0 = v1, 2 = v3
    serial: int
    signature_algorithm: str  # OID
    issuer: Name
    subject: Name
    not_before: dt.datetime  # aware, UTC
    not_after: dt.datetime
    public_key_algorithm: str  # OID
    public_key_parameters: bytes  # the raw DER after the algorithm OID (a curve OID for EC, NULL for RSA)
    public_key: bytes  # the subjectPublicKey BIT STRING's bytes
    extensions: tuple[Extension, ...]
    tbs: bytes  # the signed part, raw
    signature: bytes
    san_dns: tuple[str, ...]
    san_ip: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]
    is_ca: bool  # basicConstraints cA (False when the extension is absent)
    path_length: int | None

    def extension(self, oid: str) -> Extension | None:
        return next((e for e in self.extensions if e.oid == oid), None)

    @property
    def self_signed(self) -> bool:
        return self.subject.same_as(self.issuer)

    def pem(self) -> str:
        return ssl.DER_cert_to_PEM_cert(self.der)


def _escape(val: NameValue) -> str:
    """RFC 4514 section 2.4 escaping, exactly as pyca's library does it (bytes values as #hex)."""
    if not val:
        return ""
    if isinstance(val, bytes):
        return "#" + binascii.hexlify(val).decode()
    for ch in ("\\", '"', "+", ",", ";", "<", ">"):
        val = val.replace(ch, "\\" + ch)
    val = val.replace("\0", "\\00")
    if val[0] in ("#", " "):
        val = "\\" + val
    if val[-1] == " ":
        val = val[:-1] + "\\ "
    return val


# --- parsing ---------------------------------------------------------------------------------------------------


def load_der(data: bytes) -> Certificate:
    """Parse one DER certificate; X509Error for anything that is not one."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise X509Error("certificate must be bytes")
    data = bytes(data)
    if len(data) > MAX_CERT_BYTES:
        raise X509Error(f"certificate larger than {MAX_CERT_BYTES} bytes")
    try:
        return _parse(data)
    except RecursionError:  # cannot happen below MAX_DEPTH, but the promise is one exception class
        raise X509Error("nested too deeply") from None


def load_pem(text: str | bytes, skip_bad: bool = False) -> list[Certificate]:
    """Every CERTIFICATE block in a PEM text, in order. X509Error if a block is not a certificate, unless
    `skip_bad` (a trust store with one legacy oddity still yields the rest)."""
    blob = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    certs: list[Certificate] = []
    for m in _PEM_RE.finditer(blob):
        if len(certs) >= MAX_PEM_CERTS:
            raise X509Error(f"more than {MAX_PEM_CERTS} certificates in one PEM text")
        try:
            try:
                body = base64.b64decode(b"".join(m.group(1).split()), validate=True)
            except binascii.Error as exc:
                raise X509Error(f"bad base64 in a PEM block: {exc}") from None
            certs.append(load_der(body))
        except X509Error:
            if not skip_bad:
                raise
    return certs


def _parse(data: bytes) -> Certificate:
    top = der.read_single(data).expect(der.SEQUENCE, what="Certificate SEQUENCE")
    parts = top.children()
    if len(parts) != 3:
        raise X509Error("a certificate has exactly 3 parts")
    tbs_el, outer_alg, sig_el = parts
    tbs = tbs_el.expect(der.SEQUENCE, what="TBSCertificate").children()
    _algorithm(outer_alg)
    signature, unused = der.decode_bit_string(sig_el)
    if unused:
        raise X509Error("signature BIT STRING has unused bits")
    i = 0
    version = 0
    if tbs and tbs[0].is_(0, der.CLASS_CONTEXT, True):
        inner = tbs[0].children()
        if len(inner) != 1:
            raise X509Error("bad version field")
        version = der.decode_int(inner[0])
        if version not in (0, 1, 2):
            raise X509Error(f"unknown certificate version {version}")
        i = 1
    if len(tbs) < i + 6:
        raise X509Error("TBSCertificate is missing fields")
    serial = der.decode_int(tbs[i])
    sig_alg, _ = _algorithm(tbs[i + 1])
    issuer = _name(tbs[i + 2])
    validity = tbs[i + 3].expect(der.SEQUENCE, what="Validity").children()
    if len(validity) != 2:
        raise X509Error("Validity has two times")
    not_before, not_after = _time(validity[0]), _time(validity[1])
    subject = _name(tbs[i + 4])
    spki = tbs[i + 5].expect(der.SEQUENCE, what="SubjectPublicKeyInfo").children()
    if len(spki) != 2:
        raise X509Error("SubjectPublicKeyInfo has two parts")
    key_alg, key_params = _algorithm(spki[0])
    public_key, _ = der.decode_bit_string(spki[1])
    extensions: tuple[Extension, ...] = ()
    last = 0
    for el in tbs[i + 6:]:
        if el.cls != der.CLASS_CONTEXT or not 1 <= el.tag <= 3 or el.tag <= last:
            raise X509Error("unexpected field after SubjectPublicKeyInfo")
        last = el.tag
        if el.tag == 3:
            if not el.constructed:
                raise X509Error("extensions must be [3] EXPLICIT")
            inner = el.children()
            if len(inner) != 1:
                raise X509Error("bad extensions field")
            extensions = _extensions(inner[0])
        elif el.constructed:
            raise X509Error("unique identifiers are primitive BIT STRINGs")
    san_dns: tuple[str, ...] = ()
    san_ip: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...] = ()
    is_ca, path_length = False, None
    for ext in extensions:
        if ext.oid == OID_SAN:
            san_dns, san_ip = _general_names(ext.value)
        elif ext.oid == OID_BASIC_CONSTRAINTS:
            is_ca, path_length = _basic_constraints(ext.value)
    return Certificate(
        der=data, version=version, serial=serial, signature_algorithm=sig_alg, issuer=issuer, subject=subject,
        not_before=not_before, not_after=not_after, public_key_algorithm=key_alg, public_key_parameters=key_params,
        public_key=public_key, extensions=extensions, tbs=tbs_el.raw, signature=signature, san_dns=san_dns,
        san_ip=san_ip, is_ca=is_ca, path_length=path_length,
    )


def _algorithm(el: Element) -> tuple[str, bytes]:
    parts = el.expect(der.SEQUENCE, what="AlgorithmIdentifier").children()
    if not 1 <= len(parts) <= 2:
        raise X509Error("bad AlgorithmIdentifier")
    return der.decode_oid(parts[0]), parts[1].raw if len(parts) == 2 else b""


def _name(el: Element) -> Name:
    rdns: list[tuple[NameAttribute, ...]] = []
    for rdn in el.expect(der.SEQUENCE, what="Name").children():
        attrs: list[NameAttribute] = []
        for atv in rdn.expect(der.SET, what="RelativeDistinguishedName SET").children():
            pair = atv.expect(der.SEQUENCE, what="AttributeTypeAndValue").children()
            if len(pair) != 2:
                raise X509Error("bad AttributeTypeAndValue")
            attrs.append(NameAttribute(der.decode_oid(pair[0]), _name_value(pair[1])))
        if not attrs:
            raise X509Error("empty RDN")
        rdns.append(tuple(attrs))
    return Name(tuple(rdns))


def _name_value(el: Element) -> NameValue:
    if el.cls != der.CLASS_UNIVERSAL or el.constructed:
        raise X509Error("a name attribute value must be a primitive universal type")
    try:
        if el.tag == der.BMP_STRING:
            return el.value.decode("utf-16-be")
        if el.tag == der.UNIVERSAL_STRING:
            return el.value.decode("utf-32-be")
        if el.tag == der.BIT_STRING:  # x500UniqueIdentifier: printed as #hex, like pyca's library
            return el.value
        return el.value.decode("utf-8")  # UTF8/Printable/IA5/T61/...: pyca reads them all as UTF-8
    except UnicodeDecodeError as exc:
        raise X509Error(f"name attribute is not valid text: {exc.reason}") from None


_UTC_RE = re.compile(rb"(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z")
_GEN_RE = re.compile(rb"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z")


def _time(el: Element) -> dt.datetime:
    if el.is_(der.UTC_TIME, constructed=False):
        m = _UTC_RE.fullmatch(el.value)
        if not m:
            raise X509Error("UTCTime is not YYMMDDHHMMSSZ")
        yy = int(m.group(1))
        year, rest = (2000 + yy if yy < 50 else 1900 + yy), m.groups()[1:]
        frac = b""
    elif el.is_(der.GENERALIZED_TIME, constructed=False):
        m = _GEN_RE.fullmatch(el.value)
        if not m:
            raise X509Error("GeneralizedTime is not YYYYMMDDHHMMSS[.f]Z")
        year, rest, frac = int(m.group(1)), m.groups()[1:6], m.group(7) or b""
    else:
        raise X509Error("a validity time must be UTCTime or GeneralizedTime")
    try:
        mo, d, h, mi, s = (int(x) for x in rest)
        micro = int((frac + b"000000")[:6]) if frac else 0
        return dt.datetime(year, mo, d, h, mi, s, micro, tzinfo=dt.UTC)
    except ValueError as exc:
        raise X509Error(f"bad date: {exc}") from None


def _extensions(el: Element) -> tuple[Extension, ...]:
    out: list[Extension] = []
    seen: set[str] = set()
    for ext in el.expect(der.SEQUENCE, what="Extensions").children():
        parts = ext.expect(der.SEQUENCE, what="Extension").children()
        if not 2 <= len(parts) <= 3:
            raise X509Error("bad Extension")
        ext_oid = der.decode_oid(parts[0])
        # An explicit FALSE is a DER violation (a default spelled out) that OpenSSL accepts in a handshake; the
        # probe must describe whatever OpenSSL accepted, so it is read, not refused.
        critical = der.decode_bool(parts[1]) if len(parts) == 3 else False
        value = parts[-1].expect(der.OCTET_STRING, constructed=False).value
        if ext_oid in seen:
            raise X509Error(f"duplicate extension {ext_oid}")
        seen.add(ext_oid)
        out.append(Extension(ext_oid, critical, value))
    return tuple(out)


def _general_names(value: bytes) -> tuple[tuple[str, ...], tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]]:
    dns: list[str] = []
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for gn in der.read_single(value).expect(der.SEQUENCE, what="GeneralNames").children():
        if gn.cls != der.CLASS_CONTEXT or gn.tag > 8:
            raise X509Error("bad GeneralName")
        if gn.tag == 2 and not gn.constructed:
            try:
                dns.append(gn.value.decode("ascii"))
            except UnicodeDecodeError:
                raise X509Error("dNSName is not IA5 (ASCII)") from None
        elif gn.tag == 7 and not gn.constructed:
            if len(gn.value) not in (4, 16):
                raise X509Error("iPAddress is neither 4 nor 16 bytes")
            ips.append(ipaddress.ip_address(gn.value))
        elif gn.constructed:
            gn.children()  # otherName, directoryName, ...: not used, but must be well formed
    return tuple(dns), tuple(ips)


def _basic_constraints(value: bytes) -> tuple[bool, int | None]:
    parts = der.read_single(value).expect(der.SEQUENCE, what="BasicConstraints").children()
    ca, path_length, i = False, None, 0
    if i < len(parts) and parts[i].is_(der.BOOLEAN, constructed=False):
        ca, i = der.decode_bool(parts[i]), i + 1
    if i < len(parts):
        path_length, i = der.decode_int(parts[i]), i + 1
        if path_length < 0:
            raise X509Error("negative pathLenConstraint")
    if i != len(parts):
        raise X509Error("bad BasicConstraints")
    return ca, path_length
