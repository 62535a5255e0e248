"""TLS ClientHello bytes built by hand, and just enough parsing of the answer to see a ServerHello.

The ClientHello A/B test needs two hellos that differ only in size: a small one that fits one TCP segment and
a large one (a post-quantum X25519MLKEM768 key share plus padding, ~1.8 KB) that needs two, like current
browsers and Node send. The ML-KEM key is well-formed (coefficients below q) so a server that supports the
hybrid group answers normally instead of rejecting a malformed key.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import struct
from dataclasses import dataclass

GROUP_X25519 = 0x001D
GROUP_SECP256R1 = 0x0017
GROUP_SECP384R1 = 0x0018
GROUP_X25519MLKEM768 = 0x11EC
MLKEM768_EK_BYTES = 1184
MLKEM_Q = 3329

LARGE_TARGET_BYTES = 1800  # the whole record, like a current browser's hello with an ML-KEM share
HRR_RANDOM = hashlib.sha256(b"HelloRetryRequest").digest()

CIPHER_SUITES = (0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014,
                 0x009C, 0x009D, 0x002F, 0x0035)
SIGNATURE_ALGORITHMS = (0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)

ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure",
          42: "bad_certificate", 47: "illegal_parameter", 50: "decode_error", 70: "protocol_version",
          71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 109: "missing_extension",
          112: "unrecognized_name", 120: "no_application_protocol"}
GROUP_NAMES = {GROUP_X25519: "x25519", GROUP_SECP256R1: "secp256r1", GROUP_SECP384R1: "secp384r1",
               GROUP_X25519MLKEM768: "X25519MLKEM768"}


def _ext(ext_type: int, body: bytes) -> bytes:
    return struct.pack("!HH", ext_type, len(body)) + body


def _vec16(body: bytes) -> bytes:
    return struct.pack("!H", len(body)) + body


def mlkem768_encapsulation_key() -> bytes:
    """A random but well-formed ML-KEM-768 public key: 768 12-bit coefficients below q, then a 32-byte seed."""
    out = bytearray()
    for _ in range(768 // 2):
        a, b = secrets.randbelow(MLKEM_Q), secrets.randbelow(MLKEM_Q)
        v = a | (b << 12)
        out += bytes((v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF))
    return bytes(out) + os.urandom(32)


def client_hello(host: str, large: bool, alpn: tuple[str, ...] = ("h2", "http/1.1")) -> bytes:
    """A complete TLS record carrying a ClientHello for `host` (TLS 1.3 and 1.2 offered)."""
    exts = b""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        name = host.encode("idna")
        exts += _ext(0, _vec16(b"\x00" + _vec16(name)))  # server_name (not sent for IP literals)
    exts += _ext(23, b"")  # extended_master_secret
    exts += _ext(0xFF01, b"\x00")  # renegotiation_info
    groups = ([GROUP_X25519MLKEM768] if large else []) + [GROUP_X25519, GROUP_SECP256R1, GROUP_SECP384R1]
    exts += _ext(10, _vec16(b"".join(struct.pack("!H", g) for g in groups)))
    exts += _ext(11, b"\x01\x00")  # ec_point_formats: uncompressed
    exts += _ext(35, b"")  # session_ticket
    protos = b"".join(bytes((len(p),)) + p.encode() for p in alpn)
    exts += _ext(16, _vec16(protos))
    exts += _ext(5, b"\x01\x00\x00\x00\x00")  # status_request (OCSP)
    exts += _ext(13, _vec16(b"".join(struct.pack("!H", s) for s in SIGNATURE_ALGORITHMS)))
    shares = b""
    if large:
        mlkem = mlkem768_encapsulation_key() + os.urandom(32)
        shares += struct.pack("!HH", GROUP_X25519MLKEM768, len(mlkem)) + mlkem
    shares += struct.pack("!HH", GROUP_X25519, 32) + os.urandom(32)
    exts += _ext(51, _vec16(shares))  # key_share
    exts += _ext(45, b"\x01\x01")  # psk_key_exchange_modes: psk_dhe_ke
    exts += _ext(43, b"\x04\x03\x04\x03\x03")  # supported_versions: TLS 1.3, TLS 1.2

    def assemble(extensions: bytes) -> bytes:
        body = (b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32)
                + _vec16(b"".join(struct.pack("!H", c) for c in CIPHER_SUITES)) + b"\x01\x00" + _vec16(extensions))
        handshake = b"\x01" + len(body).to_bytes(3, "big") + body
        return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake

    record = assemble(exts)
    if large and len(record) < LARGE_TARGET_BYTES:
        pad = max(0, LARGE_TARGET_BYTES - len(record) - 4)  # padding extension (RFC 7685): zeros
        record = assemble(exts + _ext(21, bytes(pad)))
    return record


@dataclass
class HelloAnswer:
    """What came back for a ClientHello: server_hello, hello_retry, alert, not_tls, or nothing yet."""

    kind: str
    version: str = ""
    group: str = ""
    alert: str = ""
    first_bytes: str = ""


def parse_answer(data: bytes, final: bool = False) -> HelloAnswer | None:
    """Classify the first record the server sent; None when more bytes are needed (unless `final`: the
    connection ended, so classify what there is)."""
    if len(data) < 5:
        if data[:1] in (b"", b"\x16", b"\x15") and not (final and data):
            return None
        return HelloAnswer("not_tls", first_bytes=_show(data))
    rtype, length = data[0], struct.unpack("!H", data[3:5])[0]
    if rtype not in (0x15, 0x16) or data[1] != 3:
        return HelloAnswer("not_tls", first_bytes=_show(data))
    if len(data) < 5 + min(length, 8192) and not final:
        return None
    body = data[5:5 + length]
    if rtype == 0x15:
        desc = body[1] if len(body) > 1 else -1
        return HelloAnswer("alert", alert=ALERTS.get(desc, str(desc)))
    if not body or body[0] != 0x02:
        return HelloAnswer("not_tls", first_bytes=_show(data))
    return _server_hello(body[4:])


def _server_hello(sh: bytes) -> HelloAnswer:
    if len(sh) < 38:
        return HelloAnswer("server_hello", version="?")
    legacy_version = struct.unpack("!H", sh[0:2])[0]
    kind = "hello_retry" if sh[2:34] == HRR_RANDOM else "server_hello"
    version = {0x0303: "TLSv1.2", 0x0302: "TLSv1.1", 0x0301: "TLSv1.0"}.get(legacy_version, hex(legacy_version))
    group = ""
    try:
        pos = 34
        sid_len = sh[pos]
        pos += 1 + sid_len + 2 + 1  # session id, cipher suite, compression
        ext_total = struct.unpack("!H", sh[pos:pos + 2])[0]
        pos += 2
        end = min(len(sh), pos + ext_total)
        while pos + 4 <= end:
            etype, elen = struct.unpack("!HH", sh[pos:pos + 4])
            ebody = sh[pos + 4:pos + 4 + elen]
            if etype == 43 and len(ebody) >= 2 and struct.unpack("!H", ebody[:2])[0] == 0x0304:
                version = "TLSv1.3"
            elif etype == 51 and len(ebody) >= 2:
                g = struct.unpack("!H", ebody[:2])[0]
                group = GROUP_NAMES.get(g, hex(g))
            pos += 4 + elen
    except (IndexError, struct.error):
        pass
    return HelloAnswer(kind, version=version, group=group)


def _show(data: bytes) -> str:
    text = data[:40]
    if all(32 <= b < 127 or b in (9, 10, 13) for b in text):
        return text.decode("ascii")
    return text.hex()
