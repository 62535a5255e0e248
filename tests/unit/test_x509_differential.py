"""streamdoctor.x509 reads certificates exactly as pyca `cryptography` does (the oracle, a dev-only dependency).

Real certificates (certifi's Mozilla roots, the system store, the netlab's ssl_bump CA) and certificates made by
cryptography with many shapes (string types, escaping, multi-valued RDNs, key types, SAN kinds, extensions,
times on both sides of 2050) are parsed by both; every field the TLS probe reports, plus the structure under it,
must be equal.
"""

from __future__ import annotations

import random
import sys
import warnings
from pathlib import Path
from typing import Any

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from x509_oracle import describe_with_cryptography, random_certificate, structural_fields, system_pem_files

from streamdoctor.probes.tls import describe_cert
from streamdoctor.x509 import X509Error, load_der, load_pem

COUNTS: dict[str, int] = {"certificates": 0, "fields": 0}


def _compare(der: bytes) -> None:
    with warnings.catch_warnings():  # legacy roots with negative serials warn in the oracle
        warnings.simplefilter("ignore")
        theirs = x509.load_der_x509_certificate(der)
        expected = describe_with_cryptography(theirs)
        mine = load_der(der)
        structure = structural_fields(mine, theirs)
    got = describe_cert(mine)
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == expected[key], f"{key}: {got[key]!r} != {expected[key]!r} ({expected['subject']})"
    for key, (ours, ref) in structure.items():
        assert ours == ref, f"{key}: {ours!r} != {ref!r} ({expected['subject']})"
    COUNTS["certificates"] += 1
    COUNTS["fields"] += len(expected) + len(structure)


def _ders(pem_bytes: bytes) -> list[bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [c.public_bytes(Encoding.DER)
                for c in x509.load_pem_x509_certificates(pem_bytes)]


def test_every_certifi_root_reads_identically() -> None:
    blob = Path(certifi.where()).read_bytes()
    ders = _ders(blob)
    assert len(ders) > 100
    for der in ders:
        _compare(der)
    assert [c.der for c in load_pem(blob)] == ders  # the PEM reader finds the same certificates, in order


def test_every_system_store_certificate_reads_identically() -> None:
    files = system_pem_files()
    if not files:
        pytest.skip("no /etc/ssl/certs on this machine")
    compared = 0
    for path in files:
        try:
            ders = _ders(path.read_bytes())
        except ValueError:
            continue  # the oracle cannot read it either: nothing to compare
        for der in ders:
            _compare(der)
            compared += 1
    assert compared > 100


@pytest.mark.parametrize("seed", range(8))
def test_certificates_of_many_shapes_read_identically(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        cert = random_certificate(rng)
        _compare(cert.public_bytes(Encoding.DER))


def test_the_netlab_ssl_bump_ca_and_its_leaf_read_identically(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "netlab"))
    try:
        import netlab
    finally:
        sys.path.pop(0)
    ca = netlab.make_ca(tmp_path / "bump-ca", "NetLab Zscaler Root CA")
    leaf = netlab.make_leaf(tmp_path / "leaf", ca, ["api.lab.test", "*.lab.test"])
    for pem_path in (ca[0], leaf[0]):
        (der,) = _ders(pem_path.read_bytes())
        _compare(der)
    root = describe_cert(load_pem(ca[0].read_bytes())[0])
    assert root["pem"].encode() == ca[0].read_bytes()  # the exported root is byte-identical to the CA file
    assert root["subject_cn"] == "NetLab Zscaler Root CA" and root["is_ca"] and root["self_signed"]


def test_what_the_oracle_rejects_we_reject_too() -> None:
    # Both strict DER readers: a certificate re-encoded with a BER long-form length is refused by both.
    der = random_certificate(random.Random(99)).public_bytes(Encoding.DER)
    assert der[1] == 0x82
    ber = der[:1] + b"\x84\x00\x00" + der[2:]
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(ber)
    with pytest.raises(X509Error):
        load_der(ber)


def test_zz_counts_are_reported(capsys: Any) -> None:
    # Runs last in this module: prints how much was compared (the report quotes it).
    if not COUNTS["certificates"]:
        pytest.skip("no comparison ran in this session")
    with capsys.disabled():
        print(f"\nx509 differential: {COUNTS['certificates']} certificates, {COUNTS['fields']} fields equal")


def test_an_explicit_critical_false_is_read_like_openssl_does(tmp_path: Path) -> None:
    # The one deliberate leniency: `critical FALSE` spelled out (a DER default, so strictly not DER). OpenSSL,
    # which does the handshake, accepts it; so the probe must be able to describe such a certificate, where the
    # oracle refuses it.
    import datetime as dt
    import subprocess

    from streamdoctor.x509 import certgen, der
    from streamdoctor.x509.ec import PrivateKey

    key, now = PrivateKey.generate(), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    eku = der.seq(der.oid("2.5.29.37"), der.boolean(False), der.octet_string(der.seq(der.oid("1.3.6.1.5.5.7.3.1"))))
    cert = certgen._sign(certgen.name("x"), certgen.name("x"), key, key, now, now + dt.timedelta(days=1), [eku])
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(cert)
    proc = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"], input=cert, capture_output=True,
                          timeout=20, check=False)
    assert proc.returncode == 0 and b"TLS Web Server Authentication" in proc.stdout
    parsed = load_der(cert)
    assert [(e.oid, e.critical) for e in parsed.extensions] == [("2.5.29.37", False)]
    assert describe_cert(parsed)["subject"] == "CN=x"
