"""The lab's CA and leaf (x509/certgen.py, x509/ec.py) are accepted by three independent implementations:
pyca cryptography's verifier, the openssl command line, and a real TLS handshake through Python's ssl (OpenSSL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import secrets
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec as cec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from streamdoctor.lab.tls import LAB_CA_NAME, LabTLS
from streamdoctor.x509 import ec

OPENSSL_TIMEOUT_S = 20  # one openssl process on a loaded 2-core box


def _public(key: ec.PrivateKey) -> cec.EllipticCurvePublicKey:
    return cec.EllipticCurvePublicKey.from_encoded_point(cec.SECP256R1(), key.public_point())


def test_rfc6979_p256_sha256_vector() -> None:
    # RFC 6979 A.2.5, curve P-256, message "sample", SHA-256: public key and (r, s) as published.
    key = ec.PrivateKey(0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721)
    assert key.x == 0x60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6
    assert key.y == 0x7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299
    r, s = key.sign_digest(hashlib.sha256(b"sample").digest())
    assert r == 0xEFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716
    assert s == 0xF7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8


def test_signatures_verify_with_cryptography_and_tampering_is_caught() -> None:
    for _ in range(12):
        key = ec.PrivateKey.generate()
        assert ec.on_curve(key.x, key.y)
        message = secrets.token_bytes(secrets.randbelow(300))
        signature = key.sign(message)
        _public(key).verify(signature, message, cec.ECDSA(hashes.SHA256()))  # raises if wrong
        with pytest.raises(InvalidSignature):
            _public(key).verify(signature, message + b"x", cec.ECDSA(hashes.SHA256()))


def test_cryptography_signatures_are_not_confused_with_ours() -> None:
    # The other direction: a key cryptography generates, imported as a scalar, gives the same public point.
    theirs = cec.generate_private_key(cec.SECP256R1())
    mine = ec.PrivateKey(theirs.private_numbers().private_value)
    numbers = theirs.public_key().public_numbers()
    assert (mine.x, mine.y) == (numbers.x, numbers.y)
    r, s = mine.sign_digest(hashlib.sha256(b"m").digest())
    theirs.public_key().verify(encode_dss_signature(r, s), b"m", cec.ECDSA(hashes.SHA256()))


@pytest.fixture(scope="module")
def lab() -> LabTLS:
    with LabTLS() as tls:
        yield tls


def test_cryptography_reads_and_verifies_the_chain(lab: LabTLS, tmp_path: Path) -> None:
    ca = x509.load_pem_x509_certificate(lab.ca_pem.encode())
    cert_path, key_path = lab.write_server_files(str(tmp_path))
    leaf = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    ca.verify_directly_issued_by(ca)
    leaf.verify_directly_issued_by(ca)
    # The same shapes the lab had when cryptography built them.
    assert ca.subject == x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LAB_CA_NAME),
                                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stream Doctor lab")])
    assert leaf.issuer == ca.subject and leaf.subject.rfc4514_string() == "CN=localhost"
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value == x509.BasicConstraints(ca=True, path_length=0)
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and not ku.value.digital_signature
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(ca.public_key())  # type: ignore[arg-type]
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki == x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key())  # type: ignore[arg-type]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    leaf_bc = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert leaf_bc.critical and not leaf_bc.value.ca
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH]
    assert leaf.not_valid_before_utc <= dt.datetime.now(dt.UTC) <= leaf.not_valid_after_utc
    key = serialization.load_pem_private_key(Path(key_path).read_bytes(), None)
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()  # type: ignore[union-attr]
    assert os.stat(key_path).st_mode & 0o777 == 0o600
    # The RFC 5280 path validation (the web PKI profile) passes for the name and for both addresses.
    verifier_for = PolicyBuilder().store(Store([ca])).time(dt.datetime.now(dt.UTC))
    for subject in (x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1"))):
        chain = verifier_for.build_server_verifier(subject).verify(leaf, [])
        assert chain == [leaf, ca]
    with pytest.raises(x509.verification.VerificationError):
        verifier_for.build_server_verifier(x509.DNSName("api.anthropic.com")).verify(leaf, [])


def test_openssl_verifies_the_chain_names_and_addresses(lab: LabTLS, tmp_path: Path) -> None:
    cert_path, key_path = lab.write_server_files(str(tmp_path))
    ca_path = tmp_path / "ca.pem"
    ca_path.write_text(lab.ca_pem)

    def openssl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=OPENSSL_TIMEOUT_S,
                              check=False)

    for check in (["-verify_hostname", "localhost"], ["-verify_ip", "127.0.0.1"], ["-verify_ip", "::1"]):
        proc = openssl("verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", str(ca_path), *check,
                       cert_path)
        assert proc.returncode == 0 and f"{cert_path}: OK" in proc.stdout, proc.stdout + proc.stderr
    wrong = openssl("verify", "-CAfile", str(ca_path), "-verify_hostname", "api.anthropic.com", cert_path)
    assert wrong.returncode != 0 and "hostname mismatch" in wrong.stdout + wrong.stderr
    text = openssl("x509", "-in", cert_path, "-noout", "-text")
    assert text.returncode == 0
    for expected in ("Signature Algorithm: ecdsa-with-SHA256", "NIST CURVE: P-256", "DNS:localhost",
                     "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "TLS Web Server Authentication",
                     "CA:FALSE", f"Issuer: CN = {LAB_CA_NAME}, O = Stream Doctor lab"):
        assert expected in text.stdout, expected
    ca_text = openssl("x509", "-in", str(ca_path), "-noout", "-text").stdout
    assert "CA:TRUE, pathlen:0" in ca_text and "Certificate Sign, CRL Sign" in ca_text
    key_check = openssl("pkey", "-in", key_path, "-check", "-noout")
    assert key_check.returncode == 0 and "Key is valid" in key_check.stdout + key_check.stderr


def _serve_once(server_ctx: ssl.SSLContext) -> tuple[socket.socket, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def accept() -> None:
        try:
            conn, _ = listener.accept()
            conn.settimeout(10)
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"hello")
        except (OSError, ssl.SSLError):
            pass  # the client refused the certificate: that is the case under test
        finally:
            listener.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return listener, thread


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
def test_real_tls_handshake_succeeds_for_the_right_name(lab: LabTLS, server_hostname: str) -> None:
    listener, thread = _serve_once(lab.server_context())
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        client = ssl.create_default_context(cafile=lab.ca_file)
        with client.wrap_socket(raw, server_hostname=server_hostname) as tls:
            assert tls.recv(5) == b"hello"
            assert tls.getpeercert()["subject"] == ((("commonName", "localhost"),),)
    thread.join(10)


def test_real_tls_handshake_fails_for_a_wrong_name_or_another_ca(lab: LabTLS) -> None:
    with LabTLS() as other_run:
        other_ca = other_run.client_context()
    for client, name, reason in (
        (lab.client_context(), "api.anthropic.com", "Hostname mismatch"),
        (other_ca, "localhost", "unable to get local issuer"),
    ):
        listener, thread = _serve_once(lab.server_context())
        with socket.create_connection(("127.0.0.1", listener.getsockname()[1]), timeout=10) as raw:
            with pytest.raises(ssl.SSLCertVerificationError, match=reason):
                client.wrap_socket(raw, server_hostname=name)
        thread.join(10)
