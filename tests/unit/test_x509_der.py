"""The DER reader is strict and bounded, and the writer's output is what the reader (and OpenSSL's) accept."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from streamdoctor.x509 import X509Error, der, load_der


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(2**300), max_value=2**300))
def test_integers_round_trip_minimally(v: int) -> None:
    enc = der.integer(v)
    assert der.decode_int(der.read_single(enc)) == v


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**300), st.integers(min_value=0, max_value=2**300))
def test_sequence_of_two_integers_matches_the_oracle_byte_for_byte(r: int, s: int) -> None:
    # encode_dss_signature is OpenSSL's DER encoder for SEQUENCE { INTEGER, INTEGER }.
    mine = der.seq(der.integer(r), der.integer(s))
    assert mine == encode_dss_signature(r, s)
    assert decode_dss_signature(mine) == (r, s)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2), st.integers(0, 39), st.lists(st.integers(0, 2**70), max_size=8))
def test_oids_round_trip(first: int, second: int, rest: list[int]) -> None:
    dotted = ".".join(str(a) for a in [first, second, *rest])
    assert der.decode_oid(der.read_single(der.oid(dotted))) == dotted


def test_known_encodings() -> None:
    assert der.oid("1.2.840.113549") == bytes.fromhex("06062a864886f70d")  # X.690 8.19.5 style example
    assert der.oid("2.5.29.17") == bytes.fromhex("0603551d11")
    assert der.integer(128) == b"\x02\x02\x00\x80" and der.integer(-129) == b"\x02\x02\xff\x7f"
    assert der.tlv(0x04, b"x" * 200)[:3] == b"\x04\x81\xc8"
    assert der.set_of(b"\x02\x01\x02", b"\x02\x01\x01") == b"\x31\x06\x02\x01\x01\x02\x01\x02"  # sorted


@pytest.mark.parametrize("data, why", [
    (b"", "truncated"),
    (b"\x30", "truncated"),
    (b"\x30\x80\x00\x00", "indefinite"),
    (b"\x04\x81\x05abcde", "non-minimal length"),
    (b"\x04\x82\x00\x80" + b"x" * 128, "non-minimal length"),
    (b"\x04\x85\x01\x00\x00\x00\x00", "length field too long"),
    (b"\x30\x84\xff\xff\xff\xff", "runs past the end"),
    (b"\x04\x01ab", "trailing"),
    (b"\x1f\x80\x01\x00", "non-minimal tag"),
    (b"\x1f\x1e\x00", "non-minimal tag"),
    (b"\x1f\xff\xff\xff\xff\x7f\x00", "tag number too large"),
])
def test_malformed_tlvs_are_refused_with_the_one_error(data: bytes, why: str) -> None:
    with pytest.raises(X509Error, match=why):
        der.read_single(data)


@pytest.mark.parametrize("data, decoder", [
    (b"\x02\x00", der.decode_int), (b"\x02\x02\x00\x01", der.decode_int), (b"\x02\x02\xff\x80", der.decode_int),
    (b"\x01\x01\x01", der.decode_bool), (b"\x03\x00", der.decode_bit_string),
    (b"\x03\x02\x08\x00", der.decode_bit_string), (b"\x03\x02\x01\x01", der.decode_bit_string),
    (b"\x06\x00", der.decode_oid), (b"\x06\x02\x2a\x80", der.decode_oid), (b"\x06\x02\x80\x01", der.decode_oid),
    (b"\x04\x01\x00", der.decode_int),
])
def test_non_der_primitives_are_refused(data: bytes, decoder: object) -> None:
    with pytest.raises(X509Error):
        decoder(der.read_single(data))  # type: ignore[operator]


def test_nesting_is_capped_without_recursion_errors() -> None:
    nested = b""
    for _ in range(5000):  # 5000 levels: far past both MAX_DEPTH and Python's recursion limit
        nested = der.seq(nested)
    with pytest.raises(X509Error, match="nested deeper"):
        list(der.walk(der.read_single(nested)))
    with pytest.raises(X509Error):
        load_der(nested)


def test_a_huge_input_is_refused_before_any_parsing() -> None:
    with pytest.raises(X509Error, match="larger than"):
        load_der(b"\x30\x83\x10\x00\x00" + b"\x00" * 0x100000)
