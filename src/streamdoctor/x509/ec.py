"""NIST P-256 key generation and ECDSA-with-SHA-256 signing, in pure Python, for the lab's throwaway CA.

Why: the lab makes a fresh CA and a localhost leaf at every start and signs two certificates; that is the only
public-key operation the app performs itself (OpenSSL, through Python's ssl module, does every verification).
Keys come from `secrets`; nonces are deterministic (RFC 6979, HMAC-SHA-256), so a weak random source can never
leak a key through a repeated nonce. Points use Jacobian coordinates (no modular inverse per addition).

NOT constant-time: Python big integers and the branchy double-and-add leak timing. That is acceptable for a CA
that lives for one loopback lab run and is never trusted outside it; do not reuse this for long-lived keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator

from . import der

# Curve parameters from SEC 2 v2 section 2.4.2 (secp256r1 = NIST P-256 = prime256v1).
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_P256 = "1.2.840.10045.3.1.7"
OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2"

# Each RFC 6979 candidate is rejected with probability ~2^-32 (k >= N, r == 0 or s == 0): 64 tries never run out.
MAX_NONCE_TRIES = 64

Jacobian = tuple[int, int, int]  # (X, Y, Z) with x = X/Z^2, y = Y/Z^3; Z == 0 is the point at infinity
INFINITY: Jacobian = (1, 1, 0)


def _double(p: Jacobian) -> Jacobian:
    x, y, z = p
    if z == 0 or y == 0:
        return INFINITY
    # dbl-2001-b (a = -3): 3M + 5S
    delta = z * z % P
    gamma = y * y % P
    beta = x * gamma % P
    alpha = 3 * (x - delta) * (x + delta) % P
    x3 = (alpha * alpha - 8 * beta) % P
    z3 = ((y + z) ** 2 - gamma - delta) % P
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % P
    return x3, y3, z3


def _add(p: Jacobian, q: Jacobian) -> Jacobian:
    x1, y1, z1 = p
    x2, y2, z2 = q
    if z1 == 0:
        return q
    if z2 == 0:
        return p
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    h, r = (u2 - u1) % P, (s2 - s1) % P
    if h == 0:
        return _double(p) if r == 0 else INFINITY
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    y3 = (r * (v - x3) - s1 * hhh) % P
    z3 = z1 * z2 * h % P
    return x3, y3, z3


def _multiply(k: int, point: Jacobian) -> Jacobian:
    result = INFINITY
    for bit in bin(k)[2:]:
        result = _double(result)
        if bit == "1":
            result = _add(result, point)
    return result


def _affine(p: Jacobian) -> tuple[int, int]:
    x, y, z = p
    if z == 0:
        raise ValueError("point at infinity")
    zi = pow(z, -1, P)
    zi2 = zi * zi % P
    return x * zi2 % P, y * zi2 * zi % P


def on_curve(x: int, y: int) -> bool:
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


class PrivateKey:
    """A P-256 private scalar and its public point."""

    def __init__(self, d: int) -> None:
        if not 1 <= d < N:
            raise ValueError("private scalar out of range")
        self.d = d
        self.x, self.y = _affine(_multiply(d, (GX, GY, 1)))

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls(secrets.randbelow(N - 1) + 1)

    def public_point(self) -> bytes:
        """The uncompressed SEC1 point 04||X||Y (65 bytes)."""
        return b"\x04" + self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    def sign(self, message: bytes) -> bytes:
        """ECDSA over SHA-256(message); the DER Ecdsa-Sig-Value SEQUENCE { r, s } X.509 carries."""
        r, s = self.sign_digest(hashlib.sha256(message).digest())
        return der.seq(der.integer(r), der.integer(s))

    def sign_digest(self, digest: bytes) -> tuple[int, int]:
        z = _bits2int(digest) % N
        for k in _rfc6979_nonces(self.d, digest):
            rx, _ = _affine(_multiply(k, (GX, GY, 1)))
            r = rx % N
            if r == 0:
                continue
            s = pow(k, -1, N) * (z + r * self.d) % N
            if s == 0:
                continue
            return r, s
        raise RuntimeError(f"no usable ECDSA nonce in {MAX_NONCE_TRIES} tries (probability ~2^-2000)")

    def spki_der(self) -> bytes:
        """SubjectPublicKeyInfo for the public key (what goes into a certificate)."""
        return der.seq(der.seq(der.oid(OID_EC_PUBLIC_KEY), der.oid(OID_P256)), der.bit_string(self.public_point()))

    def pkcs8_der(self) -> bytes:
        """PKCS#8 PrivateKeyInfo wrapping a SEC1 ECPrivateKey (RFC 5915), the form OpenSSL writes by default."""
        ec_private = der.seq(der.integer(1), der.octet_string(self.d.to_bytes(32, "big")),
                             der.context(1, der.bit_string(self.public_point())))
        return der.seq(der.integer(0), der.seq(der.oid(OID_EC_PUBLIC_KEY), der.oid(OID_P256)),
                       der.octet_string(ec_private))


def _bits2int(b: bytes) -> int:
    return int.from_bytes(b[:32], "big")  # qlen = hlen = 256: no shift needed


def _rfc6979_nonces(d: int, digest: bytes) -> Iterator[int]:
    """RFC 6979 section 3.2: deterministic k from the key and the message digest (HMAC-SHA-256)."""
    x = d.to_bytes(32, "big")
    h1 = (_bits2int(digest) % N).to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h1, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h1, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    for _ in range(MAX_NONCE_TRIES):
        v = hmac.new(k, v, hashlib.sha256).digest()
        candidate = _bits2int(v)
        if 1 <= candidate < N:
            yield candidate
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()
