"""A strict, bounded DER reader and a small DER writer: the ASN.1 the app needs for X.509, in pure Python.

Why: the app reads certificates (the TLS probe names the inspector and exports its root) and writes two (the
lab's throwaway CA and leaf). Pulling in a native crypto library for that doubled the download's crypto weight;
X.509 in DER is a small, regular format. The reader takes hostile bytes (whatever a middlebox presents): every
length is checked against the bytes that remain, only definite minimal-length encodings are accepted, tag numbers
and nesting depth are capped, and every failure is an `X509Error` (a ValueError), never anything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Nesting deeper than this is not a certificate: X.509 needs ~8 levels (Certificate > TBS > extensions >
# extension > OCTET STRING payload > GeneralNames > ...); 32 leaves room for odd extensions and bounds recursion.
MAX_DEPTH = 32
# A length field wider than 4 bytes would mean > 4 GiB: never a certificate. Real lengths are also checked against
# the bytes actually present, so this only rejects absurd encodings early.
MAX_LENGTH_OCTETS = 4
# High tag numbers (> 30) are legal ASN.1 but X.509 uses none; cap the tag-number bytes so the loop is bounded.
MAX_TAG_OCTETS = 4

CLASS_UNIVERSAL, CLASS_APPLICATION, CLASS_CONTEXT, CLASS_PRIVATE = 0, 1, 2, 3

BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 1, 2, 3, 4, 5, 6
UTF8_STRING, SEQUENCE, SET = 12, 16, 17
NUMERIC_STRING, PRINTABLE_STRING, T61_STRING, IA5_STRING = 18, 19, 20, 22
UTC_TIME, GENERALIZED_TIME, VISIBLE_STRING, UNIVERSAL_STRING, BMP_STRING = 23, 24, 26, 28, 30


class X509Error(ValueError):
    """The one error the DER reader and the certificate parser raise for bad input."""


@dataclass(frozen=True, slots=True)
class Element:
    """One TLV: its class, constructed bit and tag number, the raw TLV bytes and the value bytes."""

    cls: int
    constructed: bool
    tag: int
    raw: bytes
    value: bytes
    depth: int = 0

    def is_(self, tag: int, cls: int = CLASS_UNIVERSAL, constructed: bool | None = None) -> bool:
        if constructed is None:
            constructed = tag in (SEQUENCE, SET) and cls == CLASS_UNIVERSAL
        return self.cls == cls and self.tag == tag and self.constructed == constructed

    def expect(self, tag: int, cls: int = CLASS_UNIVERSAL, constructed: bool | None = None,
               what: str = "") -> Element:
        if not self.is_(tag, cls, constructed):
            raise X509Error(f"expected {what or _tag_name(tag, cls)}, found {_tag_name(self.tag, self.cls)}")
        return self

    def children(self) -> list[Element]:
        if not self.constructed:
            raise X509Error(f"{_tag_name(self.tag, self.cls)} is not constructed")
        return read_all(self.value, self.depth + 1)


def _tag_name(tag: int, cls: int) -> str:
    return f"[{tag}]" if cls == CLASS_CONTEXT else f"tag {tag} (class {cls})"


def read_one(data: bytes, offset: int = 0, depth: int = 0) -> tuple[Element, int]:
    """Read the TLV at `offset`; return it and the offset just past it."""
    if depth > MAX_DEPTH:
        raise X509Error(f"nested deeper than {MAX_DEPTH} levels")
    end = len(data)
    if offset >= end:
        raise X509Error("truncated: expected a tag")
    first = data[offset]
    pos = offset + 1
    cls, constructed, tag = first >> 6, bool(first & 0x20), first & 0x1F
    if tag == 0x1F:  # high tag number form
        tag = 0
        for i in range(MAX_TAG_OCTETS + 1):
            if i == MAX_TAG_OCTETS:
                raise X509Error("tag number too large")
            if pos >= end:
                raise X509Error("truncated tag")
            b = data[pos]
            pos += 1
            if i == 0 and b == 0x80:
                raise X509Error("non-minimal tag number")
            tag = (tag << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        if tag < 0x1F:
            raise X509Error("non-minimal tag number")
    if pos >= end:
        raise X509Error("truncated: expected a length")
    lb = data[pos]
    pos += 1
    if lb < 0x80:
        length = lb
    elif lb == 0x80:
        raise X509Error("indefinite length is not DER")
    else:
        n = lb & 0x7F
        if n > MAX_LENGTH_OCTETS:
            raise X509Error("length field too long")
        if pos + n > end:
            raise X509Error("truncated length")
        length = int.from_bytes(data[pos:pos + n], "big")
        if data[pos] == 0 or length < 0x80:
            raise X509Error("non-minimal length")
        pos += n
    if length > end - pos:
        raise X509Error(f"length {length} runs past the end ({end - pos} bytes left)")
    return Element(cls, constructed, tag, data[offset:pos + length], data[pos:pos + length], depth), pos + length


def read_all(data: bytes, depth: int = 0) -> list[Element]:
    """Every TLV in `data`, which must be exactly a run of TLVs."""
    out: list[Element] = []
    pos = 0
    while pos < len(data):
        el, pos = read_one(data, pos, depth)
        out.append(el)
    return out


def read_single(data: bytes) -> Element:
    """Exactly one TLV and nothing after it."""
    el, end = read_one(bytes(data), 0, 0)
    if end != len(data):
        raise X509Error(f"{len(data) - end} bytes of trailing data")
    return el


def walk(el: Element) -> Iterator[Element]:
    """Every element under `el` (depth-first), parsing constructed values; bounded by MAX_DEPTH."""
    yield el
    if el.constructed:
        for child in el.children():
            yield from walk(child)


# --- primitive decoders ----------------------------------------------------------------------------------------


def decode_int(el: Element) -> int:
    el.expect(INTEGER, constructed=False)
    v = el.value
    if not v:
        raise X509Error("empty INTEGER")
    if len(v) > 1 and ((v[0] == 0 and not v[1] & 0x80) or (v[0] == 0xFF and v[1] & 0x80)):
        raise X509Error("non-minimal INTEGER")
    return int.from_bytes(v, "big", signed=True)


def decode_bool(el: Element) -> bool:
    el.expect(BOOLEAN, constructed=False)
    if el.value == b"\xff":
        return True
    if el.value == b"\x00":
        return False
    raise X509Error("BOOLEAN is not DER (must be 00 or FF)")


def decode_bit_string(el: Element) -> tuple[bytes, int]:
    """The bytes and the count of unused bits in the last byte."""
    el.expect(BIT_STRING, constructed=False)
    v = el.value
    if not v:
        raise X509Error("empty BIT STRING")
    unused = v[0]
    if unused > 7 or (unused and len(v) == 1):
        raise X509Error("bad unused-bit count in BIT STRING")
    if unused and v[-1] & ((1 << unused) - 1):
        raise X509Error("BIT STRING padding bits are not zero")
    return v[1:], unused


def decode_oid(el: Element) -> str:
    el.expect(OID, constructed=False)
    return oid_from_bytes(el.value)


def oid_from_bytes(v: bytes) -> str:
    if not v or len(v) > 128:  # real OIDs are a few dozen bytes
        raise X509Error("bad OBJECT IDENTIFIER length")
    arcs: list[int] = []
    n = 0
    for i, b in enumerate(v):
        if n == 0 and b == 0x80:
            raise X509Error("non-minimal OBJECT IDENTIFIER arc")
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(n)
            n = 0
        elif i == len(v) - 1:
            raise X509Error("truncated OBJECT IDENTIFIER")
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


# --- writer ----------------------------------------------------------------------------------------------------


def tlv(tag_byte: int, value: bytes) -> bytes:
    """One TLV with a low tag number (the first identifier byte given whole: class | constructed | number)."""
    n = len(value)
    if n < 0x80:
        return bytes([tag_byte, n]) + value
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag_byte, 0x80 | len(lb)]) + lb + value


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(0x31, b"".join(sorted(items)))  # DER: SET OF elements in ascending byte order


def integer(v: int) -> bytes:
    length = (v + (v < 0)).bit_length() // 8 + 1  # room for the sign bit
    return tlv(0x02, v.to_bytes(length, "big", signed=True))


def boolean(v: bool) -> bytes:
    return tlv(0x01, b"\xff" if v else b"\x00")


def null() -> bytes:
    return b"\x05\x00"


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"bad OID {dotted}")
    body = bytearray()
    for a in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def bit_string(data: bytes, unused: int = 0) -> bytes:
    return tlv(0x03, bytes([unused]) + data)


def octet_string(data: bytes) -> bytes:
    return tlv(0x04, data)


def utf8_string(s: str) -> bytes:
    return tlv(0x0C, s.encode("utf-8"))


def ia5_string_implicit(number: int, s: str) -> bytes:
    """A context-specific primitive [number] holding IA5 text (the GeneralName dNSName form)."""
    return tlv(0x80 | number, s.encode("ascii"))


def context(number: int, value: bytes, constructed: bool = True) -> bytes:
    """[number] EXPLICIT (constructed) or IMPLICIT primitive, for low tag numbers."""
    return tlv(0x80 | (0x20 if constructed else 0) | number, value)
