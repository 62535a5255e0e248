"""The independent oracle for the x509 tests: pyca `cryptography` (a dev-only dependency) reading certificates.

`describe_with_cryptography` is the TLS probe's describe_cert as it was before the app dropped the library
(git history of probes/tls.py), so "identical output" means identical to what the product used to report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import random
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from streamdoctor.x509 import Certificate


def describe_with_cryptography(cert: x509.Certificate) -> dict[str, Any]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        is_ca = False
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "subject_cn": _attr(cert.subject, NameOID.COMMON_NAME),
        "subject_org": _attr(cert.subject, NameOID.ORGANIZATION_NAME),
        "issuer_cn": _attr(cert.issuer, NameOID.COMMON_NAME),
        "issuer_org": _attr(cert.issuer, NameOID.ORGANIZATION_NAME),
        "names": names,
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "sha256": hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
        "is_ca": is_ca,
        "self_signed": cert.subject == cert.issuer,
        "pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def structural_fields(mine: Certificate, theirs: x509.Certificate) -> dict[str, tuple[Any, Any]]:
    """Fields beyond the probe's dict, as (ours, theirs) pairs: every one must be equal."""
    spki = theirs.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        bc = theirs.extensions.get_extension_for_class(x509.BasicConstraints).value
        path_length = bc.path_length
    except x509.ExtensionNotFound:
        path_length = None
    return {
        "version": (mine.version, theirs.version.value),
        "serial": (mine.serial, theirs.serial_number),
        "signature_algorithm": (mine.signature_algorithm, theirs.signature_algorithm_oid.dotted_string),
        "tbs": (mine.tbs, theirs.tbs_certificate_bytes),
        "signature": (mine.signature, theirs.signature),
        "public_key_spki": (_spki_of(mine), spki),
        "extensions": ([(e.oid, e.critical) for e in mine.extensions],
                       [(e.oid.dotted_string, e.critical) for e in theirs.extensions]),
        "path_length": (mine.path_length, path_length),
        "issuer_attrs": ([(a.oid, a.value) for rdn in mine.issuer.rdns for a in rdn],
                         [(a.oid.dotted_string, a.value) for a in theirs.issuer]),
        "subject_attrs": ([(a.oid, a.value) for rdn in mine.subject.rdns for a in rdn],
                          [(a.oid.dotted_string, a.value) for a in theirs.subject]),
    }


def _spki_of(c: Certificate) -> bytes:
    from streamdoctor.x509 import der

    spki = der.read_one(c.tbs, 0)[0].children()
    return spki[6 if spki[0].is_(0, der.CLASS_CONTEXT, True) else 5].raw


# --- certificates with many shapes, made by cryptography ---------------------------------------------------

_ODD_VALUES = ["plain", "a,b", "a+b", 'quo"te', "back\\slash", "semi;colon", "<angle>", "#hash first",
               " leading space", "trailing space ", "nul\0inside", "ünïcödé", "日本語", "=equals", "x"]
_ATTR_OIDS = [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME,
              NameOID.LOCALITY_NAME, NameOID.STATE_OR_PROVINCE_NAME, NameOID.STREET_ADDRESS,
              NameOID.DOMAIN_COMPONENT, NameOID.USER_ID, NameOID.EMAIL_ADDRESS, NameOID.SERIAL_NUMBER,
              NameOID.GIVEN_NAME, NameOID.TITLE, ObjectIdentifier("1.2.3.4.5.6.7.8.9.1234567")]
_STRING_TYPES = [x509.name._ASN1Type.UTF8String, x509.name._ASN1Type.PrintableString,
                 x509.name._ASN1Type.BMPString, x509.name._ASN1Type.UniversalString,
                 x509.name._ASN1Type.IA5String, x509.name._ASN1Type.T61String]
_PRINTABLE = "plain text 01 (a-b) ok"


def _random_name(rng: random.Random) -> x509.Name:
    rdns: list[x509.RelativeDistinguishedName] = []
    for _ in range(rng.randint(0, 5)):
        attrs = []
        for oid in rng.sample(_ATTR_OIDS, rng.choice([1, 1, 1, 2, 3])):
            stype = rng.choice(_STRING_TYPES)
            value = rng.choice(_ODD_VALUES)
            if stype in (x509.name._ASN1Type.PrintableString, x509.name._ASN1Type.IA5String,
                         x509.name._ASN1Type.T61String):
                value = _PRINTABLE if stype is x509.name._ASN1Type.PrintableString else "ascii,+;<>\\\"# x "
            if oid == NameOID.EMAIL_ADDRESS:
                stype, value = x509.name._ASN1Type.IA5String, "someone@example.test"
            attrs.append(x509.NameAttribute(oid, value, stype))
        if rng.random() < 0.1:
            attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")]
        if rng.random() < 0.05:
            attrs = [x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x01\x02\xff",
                                        x509.name._ASN1Type.BitString)]
        rdns.append(x509.RelativeDistinguishedName(attrs))
    return x509.Name(rdns)


def _random_time(rng: random.Random) -> dt.datetime:
    year = rng.choice([1950, 1970, 1999, 2000, 2024, 2049, 2050, 2099, 3000, 9999])
    return dt.datetime(year, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59),
                       rng.randint(0, 59), tzinfo=dt.UTC)


def _random_key(rng: random.Random) -> Any:
    kind = rng.choice(["p256", "p256", "p384", "ed25519", "rsa"])
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return _RSA_KEY


_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _random_sans(rng: random.Random) -> list[x509.GeneralName]:
    pool: list[x509.GeneralName] = [
        x509.DNSName("example.test"), x509.DNSName("*.wild.example.test"), x509.DNSName("xn--bcher-kva.test"),
        x509.IPAddress(ipaddress.ip_address("10.1.2.3")), x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
        x509.IPAddress(ipaddress.ip_address("::ffff:1.2.3.4")),
        x509.RFC822Name("a@example.test"), x509.UniformResourceIdentifier("https://example.test/x"),
        x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dir")])),
        x509.RegisteredID(ObjectIdentifier("1.2.3.4")),
        x509.OtherName(ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x03upn"),
    ]
    return rng.sample(pool, rng.randint(1, len(pool)))


def random_certificate(rng: random.Random) -> x509.Certificate:
    """A certificate with a random mix of names, string types, times, key types and extensions."""
    key, issuer_key = _random_key(rng), ec.generate_private_key(ec.SECP256R1())
    subject = _random_name(rng)
    issuer = subject if rng.random() < 0.3 else _random_name(rng)
    if rng.random() < 0.15:  # the same name in other string types (and RDN order inside): equal for both readers
        issuer = x509.Name([x509.RelativeDistinguishedName(
            [x509.NameAttribute(a.oid, a.value, x509.name._ASN1Type.UTF8String) if isinstance(a.value, str) else a
             for a in reversed(list(rdn))]) for rdn in subject.rdns])
    t1, t2 = sorted([_random_time(rng), _random_time(rng)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(rng.choice([1, 127, 128, 255, 256, rng.getrandbits(159) | 1, 2**159 - 1]))
               .not_valid_before(t1).not_valid_after(t2))
    options: list[tuple[x509.ExtensionType, bool]] = [
        (x509.SubjectAlternativeName(_random_sans(rng)), rng.random() < 0.2),
        (x509.BasicConstraints(ca=rng.random() < 0.5, path_length=None), True),
        (x509.KeyUsage(True, False, True, False, False, False, False, False, False), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        (x509.SubjectKeyIdentifier(b"\x01" * 20), False),
        (x509.AuthorityKeyIdentifier(b"\x02" * 20, None, None), False),
        (x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://crl.example.test/x.crl")], None, None, None)]), False),
        (x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://ocsp.test"))]),
         False),
        (x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier("2.23.140.1.2.1"), None)]), False),
        (x509.NameConstraints([x509.DNSName("permitted.test")], None), True),
        (x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), False),
    ]
    for ext, critical in rng.sample(options, rng.randint(0, len(options))):
        if isinstance(ext, x509.BasicConstraints) and ext.ca and rng.random() < 0.5:
            ext = x509.BasicConstraints(ca=True, path_length=rng.randint(0, 5))
        builder = builder.add_extension(ext, critical=critical)
    sign_key = key if issuer == subject and not isinstance(key, ed25519.Ed25519PrivateKey) else issuer_key
    return builder.sign(sign_key, hashes.SHA256())


def system_pem_files() -> list[Path]:
    base = Path("/etc/ssl/certs")
    return sorted(p for p in base.glob("*.pem") if p.is_file()) if base.is_dir() else []
