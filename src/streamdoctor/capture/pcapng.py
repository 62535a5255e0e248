"""A minimal pcapng writer (pure Python): one Section Header, one Interface Description per interface, one
Enhanced Packet Block per packet, link type RAW (the bytes start at the IP header).

pcapng rather than pcap because it names interfaces (IT sees which packets came on loopback, i.e. from this
laptop) and carries comments (the redaction note). Format: draft-ietf-opsawg-pcapng, little-endian.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

LINKTYPE_RAW = 101  # raw IPv4/IPv6, no link-layer header
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_COMMENT, OPT_IF_NAME, OPT_IF_TSRESOL, OPT_SHB_USERAPPL = 1, 2, 9, 4


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def _options(opts: Iterable[tuple[int, bytes]]) -> bytes:
    out = b"".join(struct.pack("<HH", code, len(value)) + _pad4(value) for code, value in opts)
    return out + struct.pack("<HH", 0, 0) if out else b""


def _block(block_type: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def pcapng_bytes(packets: Iterable[tuple[float, str, bytes, int]], comment: str = "",
                 snaplen: int = 65535) -> bytes:
    """packets: (unix time, interface name, raw bytes from the IP header, original length) in capture order."""
    shb_opts = [(OPT_SHB_USERAPPL, b"Stream Doctor")]
    if comment:
        shb_opts.insert(0, (OPT_COMMENT, comment.encode("utf-8")))
    out = [_block(_SHB, struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1) + _options(shb_opts))]
    ifaces: dict[str, int] = {}
    epbs = []
    for ts, iface, raw, orig_len in packets:
        if iface not in ifaces:
            ifaces[iface] = len(ifaces)
            opts = _options([(OPT_IF_NAME, (iface or "any").encode("utf-8")), (OPT_IF_TSRESOL, b"\x06")])
            out.append(_block(_IDB, struct.pack("<HHI", LINKTYPE_RAW, 0, snaplen) + opts))
        usec = int(round(ts * 1_000_000))
        body = struct.pack("<IIIII", ifaces[iface], usec >> 32, usec & 0xFFFFFFFF, len(raw), max(orig_len, len(raw)))
        epbs.append((ifaces[iface], _block(_EPB, body + _pad4(raw))))
    # Interface blocks must precede the packets that refer to them: write every IDB first, then the packets.
    return b"".join(out) + b"".join(b for _, b in epbs)
