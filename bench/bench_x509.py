"""Benchmark: the lab's certificate authority, made in pure Python (x509/certgen.py) vs by pyca cryptography.

    python bench/bench_x509.py [--runs 15]

Every `--lab` start makes a fresh P-256 CA and a localhost leaf (two key generations, two ECDSA signatures).
The app now does that in pure Python; cryptography (a dev-only dependency, OpenSSL underneath) builds the same
two certificates as the baseline, interleaved in the same run. Prints the medians, their ratio, and whether the
pure-Python time stays inside the budget a lab start can spare; `BENCH {json}` lines for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import statistics
import time

# A lab start already spends ~0.5 s bringing up its servers; a quarter second more for the CA is not noticed.
BUDGET_S = 0.25


def pure_python() -> None:
    from streamdoctor.x509 import certgen

    now = dt.datetime.now(dt.UTC)
    nb, na = now - dt.timedelta(minutes=5), now + dt.timedelta(days=2)
    _ca, key, subject = certgen.make_ca("Stream Doctor Lab CA (this run only)", "Stream Doctor lab", nb, na)
    certgen.make_leaf(subject, key, ["localhost"], ["127.0.0.1", "::1"], nb, na)


def with_cryptography() -> None:
    """What lab/tls.py did before (the same extensions, PEM out), for the baseline."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    nb, na = now - dt.timedelta(minutes=5), now + dt.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stream Doctor Lab CA (this run only)"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stream Doctor lab")])
    ca = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(nb).not_valid_after(na)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName("localhost")]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in ("127.0.0.1", "::1")]
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(subject).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(nb).not_valid_after(na)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca.public_bytes(serialization.Encoding.PEM)
    leaf.public_bytes(serialization.Encoding.PEM)
    leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    t0 = time.perf_counter()
    import streamdoctor.x509.certgen  # noqa: F401  (import cost, counted separately)
    import_pure = time.perf_counter() - t0
    t0 = time.perf_counter()
    import cryptography.x509  # noqa: F401
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: F401
    import_crypto = time.perf_counter() - t0
    pure_python(), with_cryptography()  # warm up
    ours, theirs = [], []
    for _ in range(max(1, args.runs)):  # interleaved, so load on the shared box hits both alike
        t0 = time.perf_counter()
        pure_python()
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with_cryptography()
        theirs.append(time.perf_counter() - t0)
    mine, base = statistics.median(ours), statistics.median(theirs)
    print(f"imports: pure Python {import_pure * 1000:.1f} ms, cryptography {import_crypto * 1000:.1f} ms")
    print(f"keygen + CA + leaf, median of {len(ours)}: pure Python {mine * 1000:.1f} ms "
          f"(min {min(ours) * 1000:.1f}), cryptography {base * 1000:.2f} ms (min {min(theirs) * 1000:.2f}); "
          f"ratio {mine / base:.0f}x; budget {BUDGET_S * 1000:.0f} ms: {'met' if mine <= BUDGET_S else 'MISSED'}")
    print("BENCH " + json.dumps({"bench": "x509", "metric": "lab CA + leaf", "value": round(mine, 4), "unit": "s",
                                 "baseline": round(base, 5), "ratio": round(mine / base, 1), "target": BUDGET_S,
                                 "ok": mine <= BUDGET_S}))
    return 0 if mine <= BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
