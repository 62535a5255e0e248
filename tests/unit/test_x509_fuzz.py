"""Hostile bytes: the DER reader and the certificate parser raise X509Error and nothing else, in bounded time.

What the TLS probe parses comes from whatever answers on the network (a middlebox, a captive portal), so the
parser is fuzzed with random bytes, with real certificates mutated (bit flips, truncation, insertion, length
bytes rewritten, splices) and with random TLV trees. Every example is bounded (sizes below), the whole module
runs in well under 20 s.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import certifi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamdoctor.probes.tls import describe_cert
from streamdoctor.x509 import X509Error, certgen, der, load_der, load_pem

_ROOTS = load_pem(Path(certifi.where()).read_bytes())
_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_CA, _CA_KEY, _CA_SUBJECT = certgen.make_ca("Fuzz CA", "Fuzz", _NOW, _NOW + dt.timedelta(days=1))
_LEAF = certgen.make_leaf(_CA_SUBJECT, _CA_KEY, ["localhost"], ["127.0.0.1", "::1"], _NOW,
                          _NOW + dt.timedelta(days=1))
SEEDS = [_CA.der, _LEAF.der] + [c.der for c in _ROOTS[:: max(1, len(_ROOTS) // 12)]]
FUZZ = settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
CASES = {"n": 0}


def _parse_only_x509error(data: bytes) -> None:
    CASES["n"] += 1
    try:
        el = der.read_single(data)
        for _ in der.walk(el):
            pass
    except X509Error:
        pass
    try:
        cert = load_der(data)
    except X509Error:
        return
    describe_cert(cert)  # what parses must also describe without error


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(data: bytes) -> None:
    _parse_only_x509error(data)


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    buf = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "length", "splice"]))
        pos = draw(st.integers(0, max(0, len(buf) - 1)))
        if op == "flip" and buf:
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and buf:
            buf[pos] = draw(st.sampled_from([0x00, 0x80, 0x81, 0x82, 0x84, 0xFF, 0x30, 0x1F, 0x05]))
        elif op == "truncate":
            del buf[pos:]
        elif op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del buf[pos:pos + draw(st.integers(1, 16))]
        elif op == "length" and buf:  # rewrite what may be a length byte into a long form
            buf[pos:pos + 1] = bytes([0x80 | draw(st.integers(1, 6))]) + draw(st.binary(min_size=1, max_size=6))
        elif op == "splice":
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other) - 1))
            buf[pos:pos] = other[start:start + draw(st.integers(1, 200))]
    return bytes(buf)


@settings(max_examples=800, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_real_certificates(data: bytes) -> None:
    _parse_only_x509error(data)


_TLV = st.recursive(
    st.builds(lambda tag, body: der.tlv(tag, body), st.integers(0, 0x1E).map(lambda t: t | 0x80 if t > 24 else t),
              st.binary(max_size=20)),
    lambda children: st.builds(lambda tag, kids: der.tlv(tag, b"".join(kids)),
                               st.sampled_from([0x30, 0x31, 0xA0, 0xA3, 0x24]), st.lists(children, max_size=5)),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TLV)
def test_random_tlv_trees(data: bytes) -> None:
    _parse_only_x509error(data)


def test_unmutated_seeds_parse() -> None:
    # The seeds are real certificates: without a mutation every one parses (so the fuzzers start from valid).
    for seed in SEEDS:
        assert load_der(seed).der == seed


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet="ABCabc0123+/=\n -", max_size=400), st.booleans())
def test_pem_text_with_random_bodies(body: str, skip_bad: bool) -> None:
    CASES["n"] += 1
    text = f"junk\n-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    try:
        certs = load_pem(text, skip_bad=skip_bad)
    except X509Error:
        assert not skip_bad  # skip_bad never raises for a bad block
        return
    assert len(certs) <= 1


def test_zz_cases_ran() -> None:
    # Last in the module: how many hostile inputs went through (the report quotes it), and that they did run.
    if not CASES["n"]:
        pytest.skip("no fuzz test ran in this session")
    print(f"\nx509 fuzz: {CASES['n']} cases")
